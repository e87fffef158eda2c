package fleet

// HourSetsOfMachine is the SQL condition on opening_hour_sets s that keeps
// the sets that can apply to machine m at location l: on the machine, its
// location, and the machine and location groups they belong to. Of these the
// set written last is in force (Effective); it is the one statement of the
// inheritance rule, shared by every query that needs a machine's hours.
const HourSetsOfMachine = `((s.resource = 'machine' AND s.resource_id = m.id)
	OR (s.resource = 'location' AND s.resource_id = l.id)
	OR (s.resource = 'machinegroup' AND s.resource_id IN (SELECT g.id FROM machine_groups g WHERE g.machines @> ARRAY[m.id]))
	OR (s.resource = 'locationgroup' AND s.resource_id IN (SELECT g.id FROM location_groups g WHERE g.locations @> ARRAY[l.id])))`
