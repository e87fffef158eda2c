package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
)

// An inactive machine (machines.active = false) raises no alerts of any
// kind: its items are stored as usual but evaluated by no observer, it gets
// no non_occurrence watches, and a due watch of it is parked instead of
// evaluated. A trigger queues every flip of the flag in
// alert_machine_changes; the next tick resolves the machine's firing alerts
// without a notice (as an observer change does) and then, by the machine's
// current flag, parks its watches (inactive) or starts them afresh at the
// tick's time (active again), so that a reactivated machine counts from its
// reactivation, not from its last item before it.

// machineChangesBatch is how many queued flips one transaction applies.
const machineChangesBatch = 100

const (
	takeMachineChangesSQL = `DELETE FROM alert_machine_changes WHERE id IN (
	SELECT id FROM alert_machine_changes ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING machine`
	// lockMachinesSQL locks the watches of machines ($1) in (observer,
	// machine) order, as ingestion does, before their alerts are touched.
	lockMachinesSQL = `SELECT 1 FROM alert_watches WHERE machine = ANY($1::bigint[])
ORDER BY observer, machine FOR UPDATE`
	// resolveMachinesSQL resolves the firing alerts of machines ($1) at $2
	// (never before they started), without a notice.
	resolveMachinesSQL = `UPDATE alerts SET status = 'resolved', resolved_at = greatest(started_at, $2), updated_at = $2
WHERE machine = ANY($1::bigint[]) AND status = 'firing'`
	// parkMachinesSQL takes the watches of the inactive machines among $1
	// off the clock, as not judged.
	parkMachinesSQL = `UPDATE alert_watches w SET state = NULL, due_at = NULL, updated_at = $2
FROM machines m WHERE m.id = w.machine AND w.machine = ANY($1::bigint[]) AND NOT m.active`
	// materialiseMachinesSQL creates the missing watches of the active
	// machines among $1 for every non_occurrence observer whose scope holds
	// them: naming them, or naming none in their group or a group above.
	materialiseMachinesSQL = `WITH RECURSIVE up AS (
	SELECT m.id AS machine, g.id, g.parent FROM machines m JOIN user_groups g ON g.id = m.user_group
	WHERE m.id = ANY($1::bigint[]) AND m.active
	UNION
	SELECT up.machine, g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
INSERT INTO alert_watches (observer, machine, due_at, updated_at)
SELECT DISTINCT o.id, m.id, $2::timestamptz, $2::timestamptz
FROM machines m JOIN alert_observers o ON o.observer = 'non_occurrence' AND (o.machines @> ARRAY[m.id]
	OR (o.machines = '{}' AND o.user_group IN (SELECT up.id FROM up WHERE up.machine = m.id)))
WHERE m.id = ANY($1::bigint[]) AND m.active
ORDER BY 1, 2
ON CONFLICT (observer, machine) DO NOTHING`
	// restartMachinesSQL starts the watches of the active machines among $1
	// afresh at $2: a non_occurrence silence counts from then ($3, the state
	// as JSON), the other kinds remember nothing from before. They are due
	// at once, so that the tick computes their deadlines.
	restartMachinesSQL = `UPDATE alert_watches w
SET state = CASE WHEN o.observer = 'non_occurrence' THEN $3::jsonb ELSE '{}'::jsonb END, due_at = $2, updated_at = $2
FROM machines m, alert_observers o
WHERE m.id = w.machine AND o.id = w.observer AND w.machine = ANY($1::bigint[]) AND m.active`
	// parkWatchesSQL resolves the firing alerts of the pairs ($1, $2)
	// without a notice and takes their watches off the clock, as not judged.
	parkWatchesSQL = `WITH p AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS p (observer, machine)),
r AS (UPDATE alerts a SET status = 'resolved', resolved_at = greatest(a.started_at, $3), updated_at = $3
	FROM p WHERE a.observer = p.observer AND a.machine = p.machine AND a.status = 'firing')
UPDATE alert_watches w SET state = NULL, due_at = NULL, updated_at = $3
FROM p WHERE w.observer = p.observer AND w.machine = p.machine`
)

// applyMachineChanges applies the queued flips of machines' active flags
// (see the top of this file), a batch per transaction.
func (e *Engine) applyMachineChanges(ctx context.Context, now time.Time) error {
	fresh, err := json.Marshal(State{Since: now})
	if err != nil {
		return err
	}
	for i := 0; i < maxTickBatches; i++ {
		n := 0
		err := e.DB.Tx(ctx, func(tx *gorm.DB) error {
			ids, err := takeMachineChanges(ctx, tx)
			n = len(ids)
			if err != nil || n == 0 {
				return err
			}
			for _, s := range []struct {
				name string
				sql  string
				args []any
			}{
				{"lock", lockMachinesSQL, []any{ids}},
				{"resolve", resolveMachinesSQL, []any{ids, now}},
				{"park", parkMachinesSQL, []any{ids, now}},
				{"materialise", materialiseMachinesSQL, []any{ids, now}},
				{"restart", restartMachinesSQL, []any{ids, now, string(fresh)}},
			} {
				if _, err := pg.Exec(ctx, tx, s.sql, s.args...); err != nil {
					return fmt.Errorf("machine changes: %s: %w", s.name, pg.MapError(err))
				}
			}
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
	}
	return nil
}

// takeMachineChanges removes a batch of queued flips and returns the
// machines they name, each once.
func takeMachineChanges(ctx context.Context, tx *gorm.DB) ([]int64, error) {
	rows, err := pg.Query(ctx, tx, takeMachineChangesSQL, machineChangesBatch)
	if err != nil {
		return nil, fmt.Errorf("machine changes: %w", pg.MapError(err))
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("machine changes: %w", err)
	}
	return distinctIDs(ids), nil
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, pg.MapError(err)
		}
		out = append(out, id)
	}
	return out, pg.MapError(rows.Err())
}

// parkWatches takes the due watches of inactive machines off the clock
// without evaluating them, resolving their firing alerts without a notice,
// in one statement.
func parkWatches(ctx context.Context, tx *gorm.DB, ws []watch, now time.Time) error {
	if len(ws) == 0 {
		return nil
	}
	obs, machines := make([]int64, len(ws)), make([]int64, len(ws))
	for i, w := range ws {
		obs[i], machines[i] = w.Observer, w.Machine
	}
	if _, err := pg.Exec(ctx, tx, parkWatchesSQL, obs, machines, now); err != nil {
		return fmt.Errorf("park watches: %w", pg.MapError(err))
	}
	return nil
}
