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
// events ($1), which may arrive after their resolver, and the open events at
// or before a new resolver ($2, $3, $4: its machine, code and occurredAt).
const resolveSQL = `WITH candidates AS (
	SELECT id FROM logs WHERE id = ANY($1) AND resolved_at IS NULL
	UNION
	SELECT l.id FROM logs l
	JOIN unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS r (machine, code, occurred_at)
		ON l.machine = r.machine AND l.code = r.code AND l.occurred_at <= r.occurred_at
	WHERE l.resolved_at IS NULL
), picked AS (
	SELECT c.id, s.id AS resolved_by, s.resolved_at
	FROM candidates c
	JOIN logs l ON l.id = c.id
	CROSS JOIN LATERAL (
		SELECT r.id, r.resolved_at FROM logs r
		WHERE r.machine = l.machine AND r.code = l.code AND r.occurred_at >= l.occurred_at
			AND r.resolved_at IS NOT NULL AND r.resolved_by IS NULL
		ORDER BY r.occurred_at, r.id
		LIMIT 1) s
)
UPDATE logs l SET resolved_at = p.resolved_at, resolved_by = p.resolved_by, updated_at = now()
FROM picked p WHERE l.id = p.id
RETURNING l.id, l.machine, l.code, l.resolved_at, l.resolved_by`

// resolveEvents applies the resolution rule to the open events that the new
// events can affect and returns the events it resolved.
func resolveEvents(ctx context.Context, tx *gorm.DB, events []models.Event) ([]Resolution, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var open, machines []int64
	var codes []string
	var times []time.Time
	for _, e := range events {
		if e.ResolvedAt == nil {
			open = append(open, e.ID)
			continue
		}
		machines, codes, times = append(machines, e.Machine), append(codes, e.Code), append(times, e.OccurredAt)
	}
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, resolveSQL, open, machines, codes, times)
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
