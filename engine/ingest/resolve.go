package ingest

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// resolveSQL applies the resolution rule: an open event of code C on
// machine M is resolved by the earliest event of C on M that carried its
// own resolvedAt and occurred at or after it; it takes that event's
// resolvedAt and records it in resolved_by. The candidates are the new open
// events ($1–$4: id, machine, code, occurredAt, passed in so that they need
// no lookup), which may arrive after their resolver, and the open events at
// or before a new resolver ($5, $6, $7: its machine, code and occurredAt).
// The resolvers are looked up first (a materialised CTE) and the update
// reaches the picked rows by primary key, so that the cost follows the
// batch, not the size of logs.
const resolveSQL = `WITH candidates AS (
	SELECT c.id, c.machine, c.code, c.occurred_at
	FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[]) AS c (id, machine, code, occurred_at)
	UNION
	SELECT l.id, l.machine, l.code, l.occurred_at FROM logs l
	JOIN unnest($5::bigint[], $6::text[], $7::timestamptz[]) AS r (machine, code, occurred_at)
		ON l.machine = r.machine AND l.code = r.code AND l.occurred_at <= r.occurred_at
	WHERE l.resolved_at IS NULL
), picked AS MATERIALIZED (
	SELECT c.id, s.id AS resolved_by, s.resolved_at
	FROM candidates c
	CROSS JOIN LATERAL (
		SELECT r.id, r.resolved_at FROM logs r
		WHERE r.machine = c.machine AND r.code = c.code AND r.occurred_at >= c.occurred_at
			AND r.resolved_at IS NOT NULL AND r.resolved_by IS NULL
		ORDER BY r.occurred_at, r.id
		LIMIT 1) s
)
UPDATE logs l SET resolved_at = p.resolved_at, resolved_by = p.resolved_by, updated_at = now()
FROM picked p WHERE l.id = p.id AND l.id = ANY (ARRAY(SELECT id FROM picked))
RETURNING l.id, l.machine, l.code, l.resolved_at, l.resolved_by`

// resolveEvents applies the resolution rule to the open events that the new
// events can affect and returns the events it resolved.
func resolveEvents(ctx context.Context, tx *gorm.DB, events []models.Event) ([]Resolution, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var open, openMachines, machines []int64
	var openCodes, codes []string
	var openTimes, times []time.Time
	for _, e := range events {
		if e.ResolvedAt == nil {
			open, openMachines = append(open, e.ID), append(openMachines, e.Machine)
			openCodes, openTimes = append(openCodes, e.Code), append(openTimes, e.OccurredAt)
			continue
		}
		machines, codes, times = append(machines, e.Machine), append(codes, e.Code), append(times, e.OccurredAt)
	}
	rows, err := pg.Query(ctx, tx, resolveSQL, open, openMachines, openCodes, openTimes,
		machines, codes, times)
	if err != nil {
		return nil, fmt.Errorf("resolve events: %w", pg.MapError(err))
	}
	defer rows.Close()
	var out []Resolution
	for rows.Next() {
		var r Resolution
		if err := rows.Scan(&r.Event, &r.Machine, &r.Code, &r.ResolvedAt, &r.ResolvedBy); err != nil {
			return nil, fmt.Errorf("resolve events: %w", pg.MapError(err))
		}
		out = append(out, r)
	}
	return out, pg.MapError(rows.Err())
}

// applyResolutions copies resolutions onto the new events they concern.
func applyResolutions(events []models.Event, rs []Resolution) {
	byID := make(map[int64]Resolution, len(rs))
	for _, r := range rs {
		byID[r.Event] = r
	}
	for i := range events {
		if r, ok := byID[events[i].ID]; ok {
			at, by := r.ResolvedAt, r.ResolvedBy
			events[i].ResolvedAt, events[i].ResolvedBy = &at, &by
		}
	}
}
