package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/rules"
)

// machineInfo is what evaluation and notifications need of a machine: its
// context (names, groups, location; as the voucher engine reads it), its
// creation, effective opening hours and whether it is active.
type machineInfo struct {
	fleet.MachineContext
	CreatedAt time.Time
	Hours     *string
	// Active is the machine's active flag: an inactive machine raises no
	// alerts (see active.go).
	Active bool
	// IndexVersion is alert_index_version as the query read it, so that
	// ingestion learns of observer changes without a round trip of its own.
	IndexVersion int64
	schedule     fleet.Schedule
}

// machinesSQL loads machines with their context, creation, active flag and
// the hours in force: the set written last among the machine, its location
// and their groups (as fleet.Effective picks).
const machinesSQL = `SELECT ` + fleet.MachineContextCols + `, m.created_at, m.active,
	(SELECT s.hours::text FROM opening_hour_sets s WHERE ` + fleet.HourSetsOfMachine + `
		ORDER BY s.set_at DESC LIMIT 1),
	(SELECT version FROM alert_index_version)
FROM machines m JOIN locations l ON l.id = m.location
WHERE m.id = ANY($1::bigint[])`

// loadMachines returns the machines with ids, keyed by id.
func loadMachines(ctx context.Context, tx *gorm.DB, ids []int64) (map[int64]*machineInfo, error) {
	rows, err := pg.Query(ctx, tx.WithContext(ctx), machinesSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("load machines: %w", pg.MapError(err))
	}
	defer rows.Close()
	out := make(map[int64]*machineInfo, len(ids))
	for rows.Next() {
		m := &machineInfo{}
		if err := rows.Scan(append(m.Dest(), &m.CreatedAt, &m.Active, &m.Hours, &m.IndexVersion)...); err != nil {
			return nil, fmt.Errorf("load machines: %w", pg.MapError(err))
		}
		m.schedule = schedule(m.Hours, m.TimeZone)
		out[m.ID] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load machines: %w", pg.MapError(err))
	}
	return out, nil
}

// schedule reads a stored set of hours in the time zone tz; bad or missing
// hours mean always open, an unknown zone UTC.
func schedule(hours *string, tz string) fleet.Schedule {
	s := fleet.Schedule{Loc: location(tz)}
	if hours != nil {
		_ = json.Unmarshal([]byte(*hours), &s.Hours)
	}
	return s
}

func (m *machineInfo) ruleMachine() rules.Machine {
	return rules.Machine{ID: m.ID, Name: m.Name, Hostname: m.Hostname, Tag: m.Tag, MachineGroups: m.MachineGroups}
}

func (m *machineInfo) ruleLocation() rules.Location {
	return rules.Location{ID: m.Location, Name: m.LocationName, City: m.City, Country: m.Country,
		ExternalRef: m.ExternalRef, TimeZone: m.TimeZone, LocationGroups: m.LocationGroups}
}

var zones sync.Map // time zone name → *time.Location

// location returns the time zone named tz (UTC when unknown), loading each
// zone once.
func location(tz string) *time.Location {
	if l, ok := zones.Load(tz); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(tz, loc)
	return loc
}
