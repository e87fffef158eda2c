package ingest

import (
	"context"
	"fmt"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// machine is what ingestion copies from a machine onto its items.
type machine struct {
	ID           int64
	UserGroup    int64
	Location     int64
	TimeZone     string
	Currency     string
	ErrorProfile *int64
}

// machineOf returns the machine item i is for. A device posts for its own
// machine: naming another is EFORBIDDEN. A manager must name one (EINVALID).
func machineOf(sc models.Scope, i int, named *int64) (int64, error) {
	field := fmt.Sprintf("[%d].machine", i)
	if sc.IsDevice() {
		if named != nil && *named != sc.MachineID {
			return 0, &models.Error{Code: models.EFORBIDDEN,
				Message: field + ": a machine key may post only for its own machine",
				Fields:  map[string]string{field: "is not this device's machine"}}
		}
		return sc.MachineID, nil
	}
	if named == nil || *named <= 0 {
		return 0, models.FieldError(field, "is required")
	}
	return *named, nil
}

// loadMachines returns the machines with ids that sc may see, keyed by id.
func (s *Service) loadMachines(ctx context.Context, sc models.Scope, ids []int64) (map[int64]machine, error) {
	var rows []machine
	err := s.DB.WithContext(ctx).Table("machines m").
		Select("m.id, m.user_group, m.location, l.time_zone, m.currency, mm.error_profile").
		Joins("JOIN locations l ON l.id = m.location").
		Joins("LEFT JOIN machine_models mm ON mm.id = m.machine_model").
		Scopes(pg.Tenant(sc, "m.user_group")).Where("m.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load machines: %w", pg.MapError(err))
	}
	out := make(map[int64]machine, len(rows))
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}

// resolveMachines loads the machines of a batch (machineIDs[i] is item i's)
// and returns EINVALID naming the first item whose machine sc cannot see.
func (s *Service) resolveMachines(ctx context.Context, sc models.Scope, machineIDs []int64) (map[int64]machine, error) {
	ms, err := s.loadMachines(ctx, sc, distinct(machineIDs))
	if err != nil {
		return nil, err
	}
	for i, id := range machineIDs {
		if _, ok := ms[id]; !ok {
			return nil, models.FieldError(fmt.Sprintf("[%d].machine", i), "refers to an unknown machine")
		}
	}
	return ms, nil
}

type profileCode struct {
	Profile int64
	Code    string
}

// errorIdentities maps the raw codes of events through the error profiles
// of their machines' models: (profile, code) → error identity.
func (s *Service) errorIdentities(ctx context.Context, profiles []int64, codes []string) (map[profileCode]int64, error) {
	out := map[profileCode]int64{}
	if len(profiles) == 0 || len(codes) == 0 {
		return out, nil
	}
	var rows []struct {
		ErrorProfile  int64
		Code          string
		ErrorIdentity int64
	}
	err := s.DB.WithContext(ctx).Table("error_codes").
		Select("error_profile, code, error_identity").
		Where("error_profile IN ? AND code IN ?", profiles, codes).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("map error codes: %w", pg.MapError(err))
	}
	for _, r := range rows {
		out[profileCode{r.ErrorProfile, r.Code}] = r.ErrorIdentity
	}
	return out, nil
}

func distinct[T comparable](xs []T) []T {
	seen := make(map[T]bool, len(xs))
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
