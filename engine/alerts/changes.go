package alerts

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// changesBatch is how many observer changes one transaction applies.
const changesBatch = 100

const takeChangesSQL = `DELETE FROM alert_observer_changes WHERE id IN (
	SELECT id FROM alert_observer_changes ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING observer, op`

// applyChanges refreshes the watches of the observers written (or whose
// scope gained a machine) since the last tick; the changes are recorded by
// triggers, whoever wrote the observer.
func (e *Engine) applyChanges(ctx context.Context, now time.Time) error {
	for i := 0; i < maxTickBatches; i++ {
		n := 0
		err := e.DB.Tx(ctx, func(tx *gorm.DB) error {
			ops, err := takeChanges(ctx, tx)
			n = len(ops)
			if err != nil {
				return err
			}
			for id, reset := range ops {
				if err := refreshObserver(ctx, tx, id, reset, now); err != nil {
					return err
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

// takeChanges removes a batch of changes and returns, per observer, whether
// it was updated (and so must be judged again).
func takeChanges(ctx context.Context, tx *gorm.DB) (map[int64]bool, error) {
	rows, err := pg.Query(ctx, tx, takeChangesSQL, changesBatch)
	if err != nil {
		return nil, fmt.Errorf("observer changes: %w", pg.MapError(err))
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		var op string
		if err := rows.Scan(&id, &op); err != nil {
			return nil, fmt.Errorf("observer changes: %w", pg.MapError(err))
		}
		out[id] = out[id] || op == "update"
	}
	return out, pg.MapError(rows.Err())
}

// ObserverChanged refreshes the watches of observer id at once, in tx (for
// callers that write observers and want the watches without waiting for
// the next tick): its firing alerts are resolved without notice, its
// watches are judged again from stored data at the next tick, and a
// non_occurrence observer gets a watch on every machine in its scope. A
// deleted observer needs nothing (its watches and alerts go with it).
func (e *Engine) ObserverChanged(ctx context.Context, tx *gorm.DB, id int64) error {
	return refreshObserver(ctx, tx, id, true, e.now())
}

// refreshObserver applies one observer change (see ObserverChanged); reset
// is false for a new observer or a new machine, which only need watches.
func refreshObserver(ctx context.Context, tx *gorm.DB, id int64, reset bool, now time.Time) error {
	var rows []models.AlertObserver
	if err := tx.WithContext(ctx).Table("alert_observers").Where("id = ?", id).Find(&rows).Error; err != nil {
		return fmt.Errorf("observer %d: %w", id, pg.MapError(err))
	}
	if len(rows) == 0 {
		return nil
	}
	o := rows[0]
	if reset {
		if err := resetObserver(ctx, tx, o, now); err != nil {
			return err
		}
	}
	if o.Observer != models.NonOccurrence {
		return nil
	}
	return materialise(ctx, tx, o, now)
}

// resetObserver resolves the observer's firing alerts, drops the watches of
// machines no longer in scope and marks the others for judging.
func resetObserver(ctx context.Context, tx *gorm.DB, o models.AlertObserver, now time.Time) error {
	db := tx.WithContext(ctx)
	err := db.Exec(`UPDATE alerts SET status = 'resolved', resolved_at = greatest(started_at, ?), updated_at = ?
		WHERE observer = ? AND status = 'firing'`, now, now, o.ID).Error
	if err == nil && len(o.Machines) > 0 {
		err = db.Exec(`DELETE FROM alert_watches WHERE observer = ? AND NOT (machine = ANY(?::bigint[]))`,
			o.ID, o.Machines).Error
	}
	if err == nil {
		err = db.Exec(`UPDATE alert_watches SET state = NULL, due_at = ?, updated_at = ? WHERE observer = ?`,
			now, now, o.ID).Error
	}
	if err != nil {
		return fmt.Errorf("reset observer %d: %w", o.ID, pg.MapError(err))
	}
	return nil
}

// materialiseSQL creates the missing watches of a non_occurrence observer
// ($1): on its machines ($2), or on every machine of its group and the
// groups below ($3) when it names none. They are due at once ($4), to be
// judged from stored data. Inactive machines get none: they raise no alerts,
// and reactivating one creates its watches (see applyMachineChanges).
const materialiseSQL = `WITH RECURSIVE down AS (
	SELECT id FROM user_groups WHERE id = $3
	UNION
	SELECT g.id FROM user_groups g JOIN down ON g.parent = down.id)
INSERT INTO alert_watches (observer, machine, due_at, updated_at)
SELECT $1, m.id, $4, $4 FROM machines m
WHERE m.active AND CASE WHEN cardinality($2::bigint[]) = 0 THEN m.user_group IN (SELECT id FROM down) ELSE m.id = ANY($2::bigint[]) END
ORDER BY m.id
ON CONFLICT (observer, machine) DO NOTHING`

// materialise creates the missing watches of a non_occurrence observer.
func materialise(ctx context.Context, tx *gorm.DB, o models.AlertObserver, now time.Time) error {
	machines := slices.Clone([]int64(o.Machines))
	if machines == nil {
		machines = []int64{}
	}
	_, err := pg.Exec(ctx, tx, materialiseSQL, o.ID, machines, o.UserGroup, now)
	if err != nil {
		return fmt.Errorf("watches of observer %d: %w", o.ID, pg.MapError(err))
	}
	return nil
}
