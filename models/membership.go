package models

// Membership is one side of a many-to-many link that is stored on the
// other side: a machine's machineGroups live in machine_groups.machines,
// a location's locationGroups in location_groups.locations. The seed lets a
// client set the link from either side; IDs nil means the body did not
// name the field, and the stored links stay as they are.
type Membership struct {
	Field  string  // JSON field of the member, e.g. "machineGroups"
	Table  string  // the groups' table, e.g. "machine_groups"
	Column string  // the groups' bigint[] column of members, e.g. "machines"
	IDs    *IDList // the groups that hold the member after the write
}

// Member is an entity whose body may set memberships stored on other rows.
type Member interface {
	Memberships() []Membership
}

// membershipRefs returns the groups named by ms as references to check.
func membershipRefs(ms []Membership) []Ref {
	var refs []Ref
	for _, m := range ms {
		if m.IDs != nil {
			refs = append(refs, Ref{Field: m.Field, Table: m.Table, IDs: *m.IDs})
		}
	}
	return refs
}
