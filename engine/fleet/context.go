package fleet

import "github.com/vendrule/vendrule/models"

// MachineContext is a machine with its location and the groups of both:
// what rules see of the machine a device request, an event or a sale comes
// from. The voucher engine and the alert engine read it with the same
// columns (MachineContextCols) and scan it the same way (Dest, Done).
type MachineContext struct {
	ID             int64
	UserGroup      int64 // the machine's owner
	Name           string
	Hostname       string
	Tag            string
	Location       int64
	LocationName   string
	City           string
	Country        string
	ExternalRef    string
	TimeZone       string
	MachineGroups  models.IDList
	LocationGroups models.IDList
}

// MachineContextCols selects a MachineContext over machines m and
// locations l, in the order of Dest. The group lists come as array
// literals, which models.IDList reads through pgx and database/sql alike.
const MachineContextCols = `m.id, m.user_group, m.name, m.hostname, m.tag, l.id, l.name, l.city, l.country,
	l.external_ref, l.time_zone,
	ARRAY(SELECT g.id FROM machine_groups g WHERE g.machines @> ARRAY[m.id] ORDER BY g.id)::text,
	ARRAY(SELECT g.id FROM location_groups g WHERE g.locations @> ARRAY[l.id] ORDER BY g.id)::text`

// Dest returns the scan destinations of MachineContextCols.
func (c *MachineContext) Dest() []any {
	return []any{&c.ID, &c.UserGroup, &c.Name, &c.Hostname, &c.Tag, &c.Location, &c.LocationName, &c.City,
		&c.Country, &c.ExternalRef, &c.TimeZone, &c.MachineGroups, &c.LocationGroups}
}
