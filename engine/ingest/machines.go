package ingest

import (
	"context"
	"database/sql"
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

// machinesSQL loads the machines with ids $1 of the groups $2 and, in the
// same round trip, the error identities their models' error profiles give
// the codes $3: one row per machine and mapped code (codes NULL when none).
const machinesSQL = `SELECT m.id, m.user_group, m.location, l.time_zone, m.currency, mm.error_profile,
	ec.code, ec.error_identity
FROM machines m
JOIN locations l ON l.id = m.location
LEFT JOIN machine_models mm ON mm.id = m.machine_model
LEFT JOIN error_codes ec ON ec.error_profile = mm.error_profile AND ec.code = ANY($3::text[])
WHERE m.id = ANY($1::bigint[]) AND m.user_group = ANY($2::bigint[])`

// loadMachines returns the machines with ids that sc may see, keyed by id,
// and the error identities of codes on them: (profile, code) → identity.
func (s *Service) loadMachines(ctx context.Context, sc models.Scope, ids []int64, codes []string) (map[int64]machine, map[profileCode]int64, error) {
	ms := make(map[int64]machine, len(ids))
	idents := map[profileCode]int64{}
	if len(sc.Groups) == 0 {
		return ms, idents, nil
	}
	if codes == nil {
		codes = []string{}
	}
	rows, err := pg.Query(ctx, s.DB.WithContext(ctx), machinesSQL, ids, sc.Groups, codes)
	if err != nil {
		return nil, nil, fmt.Errorf("load machines: %w", pg.MapError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var m machine
		var code sql.NullString
		var ident sql.NullInt64
		if err := rows.Scan(&m.ID, &m.UserGroup, &m.Location, &m.TimeZone, &m.Currency, &m.ErrorProfile,
			&code, &ident); err != nil {
			return nil, nil, fmt.Errorf("load machines: %w", pg.MapError(err))
		}
		ms[m.ID] = m
		if code.Valid && ident.Valid && m.ErrorProfile != nil {
			idents[profileCode{*m.ErrorProfile, code.String}] = ident.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("load machines: %w", pg.MapError(err))
	}
	return ms, idents, nil
}

// resolveMachines loads the machines of a batch (machineIDs[i] is item i's)
// with the error identities of codes on them (see loadMachines), and
// returns EINVALID naming the first item whose machine sc cannot see.
func (s *Service) resolveMachines(ctx context.Context, sc models.Scope, machineIDs []int64, codes []string) (map[int64]machine, map[profileCode]int64, error) {
	ms, idents, err := s.loadMachines(ctx, sc, distinct(machineIDs), codes)
	if err != nil {
		return nil, nil, err
	}
	for i, id := range machineIDs {
		if _, ok := ms[id]; !ok {
			return nil, nil, models.FieldError(fmt.Sprintf("[%d].machine", i), "refers to an unknown machine")
		}
	}
	return ms, idents, nil
}

type profileCode struct {
	Profile int64
	Code    string
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
