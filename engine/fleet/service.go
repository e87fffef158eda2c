package fleet

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Service stores opening hours.
type Service struct {
	DB  *pg.DB
	Now func() time.Time
}

// hourTables maps the resources that can carry opening hours to their tables.
var hourTables = map[string]string{
	"machine": "machines", "machinegroup": "machine_groups",
	"location": "locations", "locationgroup": "location_groups",
}

// SetHours replaces the opening hours on a machine or a parent of machines.
// Returns ENOTFOUND for an unknown resource or one outside the scope, and
// EINVALID for bad hours.
func (s *Service) SetHours(ctx context.Context, sc models.Scope, resource string, id int64, hours []OpeningHour) error {
	table, ok := hourTables[resource]
	if !ok {
		return models.Errorf(models.ENOTFOUND, "opening hours are set on machine, machinegroup, location or locationgroup")
	}
	if hours == nil {
		hours = []OpeningHour{}
	}
	if err := ValidateHours(hours); err != nil {
		return err
	}
	var group int64
	err := s.DB.WithContext(ctx).Table(table).Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Pluck("user_group", &group).Error
	if err != nil {
		return pg.MapError(err)
	}
	if group == 0 {
		return models.Errorf(models.ENOTFOUND, "%s %d not found", resource, id)
	}
	doc, _ := json.Marshal(hours)
	err = s.DB.WithContext(ctx).Exec(`INSERT INTO opening_hour_sets (resource, resource_id, user_group, hours, set_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (resource, resource_id)
		DO UPDATE SET hours = EXCLUDED.hours, set_at = EXCLUDED.set_at`,
		resource, id, group, string(doc), s.Now()).Error
	return pg.MapError(err)
}

type setRow struct {
	Resource   string
	ResourceID int64
	Hours      string
	SetAt      time.Time
}

// MachineHours returns the hours in force for machine id and the set they come
// from; ok is false when no hours apply (always open). Returns ENOTFOUND.
func (s *Service) MachineHours(ctx context.Context, sc models.Scope, id int64) (HourSet, bool, error) {
	m, err := pg.Get[models.Machine](ctx, s.DB.DB, sc, &models.Resource{Table: "machines"}, id)
	if err != nil {
		return HourSet{}, false, err
	}
	var rows []setRow
	err = s.DB.WithContext(ctx).Raw(`SELECT s.resource, s.resource_id, s.hours::text AS hours, s.set_at
		FROM opening_hour_sets s JOIN machines m ON m.id = ? JOIN locations l ON l.id = m.location
		WHERE `+HourSetsOfMachine, m.ID).Scan(&rows).Error
	if err != nil {
		return HourSet{}, false, pg.MapError(err)
	}
	sets := make([]HourSet, 0, len(rows))
	for _, r := range rows {
		hs := HourSet{Resource: r.Resource, ResourceID: r.ResourceID, SetAt: r.SetAt}
		if err := json.Unmarshal([]byte(r.Hours), &hs.Hours); err != nil {
			return HourSet{}, false, err
		}
		sets = append(sets, hs)
	}
	best, ok := Effective(sets)
	return best, ok, nil
}
