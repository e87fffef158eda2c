package alerts

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// maxTickBatches bounds the batches of one tick, so that a tick always ends.
const maxTickBatches = 10000

// Tick refreshes the watches of observers changed since the last tick and
// of machines whose active flag flipped (see active.go), then evaluates every watch due at now, in transactions of TickBatch
// watches taken with FOR UPDATE SKIP LOCKED: it costs O(due), replicas
// ticking together share the work, and a replica that dies mid-tick loses
// nothing (its rows stay due). Returns EUNAVAILABLE when the database
// fails.
func (e *Engine) Tick(ctx context.Context) error {
	now := e.now()
	if err := e.applyChanges(ctx, now); err != nil {
		return err
	}
	if err := e.applyMachineChanges(ctx, now); err != nil {
		return err
	}
	size := e.TickBatch
	if size <= 0 {
		size = DefaultTickBatch
	}
	for i := 0; i < maxTickBatches; i++ {
		n, err := e.tickBatch(ctx, now, size)
		if err != nil || n < size {
			return err
		}
	}
	return nil
}

const dueWatchesSQL = `SELECT observer, machine, state FROM alert_watches
WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`

// tickBatch evaluates up to size due watches in one transaction and
// returns how many it took.
func (e *Engine) tickBatch(ctx context.Context, now time.Time, size int) (int, error) {
	n := 0
	err := e.DB.Tx(ctx, func(tx *gorm.DB) error {
		rows, err := pg.Query(ctx, tx, dueWatchesSQL, now, size)
		if err != nil {
			return fmt.Errorf("due watches: %w", pg.MapError(err))
		}
		ws, err := scanWatches(rows)
		if err != nil {
			return err
		}
		n = len(ws)
		jobs, orphans, parked, err := tickJobs(ctx, tx, ws)
		if err != nil {
			return err
		}
		if err := clearDue(ctx, tx, orphans); err != nil {
			return err
		}
		if err := parkWatches(ctx, tx, parked, now); err != nil {
			return err
		}
		for _, j := range jobs {
			if err := e.run(ctx, tx, j, now); err != nil {
				return err
			}
		}
		return e.persist(ctx, tx, jobs, now)
	})
	return n, err
}

// tickJobs pairs due watches with their observers and machines; watches
// whose observer no longer compiles are returned as orphans, those of
// inactive machines as parked (they are not evaluated).
func tickJobs(ctx context.Context, tx *gorm.DB, ws []watch) (jobs []*job, orphans, parked []watch, err error) {
	if len(ws) == 0 {
		return nil, nil, nil, nil
	}
	var oids, mids []int64
	for _, w := range ws {
		oids, mids = append(oids, w.Observer), append(mids, w.Machine)
	}
	obs, err := loadObservers(ctx, tx, distinctIDs(oids))
	if err != nil {
		return nil, nil, nil, err
	}
	ms, err := loadMachines(ctx, tx, distinctIDs(mids))
	if err != nil {
		return nil, nil, nil, err
	}
	for _, w := range ws {
		o, m := obs[w.Observer], ms[w.Machine]
		switch {
		case o == nil || m == nil:
			orphans = append(orphans, w)
		case !m.Active:
			parked = append(parked, w)
		default:
			jobs = append(jobs, &job{o: o, m: m, w: &watch{Observer: w.Observer, Machine: w.Machine, State: w.State}})
		}
	}
	return jobs, orphans, parked, nil
}

// loadObservers returns the observers with ids whose condition compiles.
func loadObservers(ctx context.Context, tx *gorm.DB, ids []int64) (map[int64]*observer, error) {
	var rows []models.AlertObserver
	err := tx.WithContext(ctx).Table("alert_observers").Where("id = ANY(?::bigint[])", models.IDList(ids)).
		Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load observers: %w", pg.MapError(err))
	}
	out := make(map[int64]*observer, len(rows))
	for _, r := range rows {
		if o, err := compileObserver(r); err == nil {
			out[o.ID] = o
		}
	}
	return out, nil
}

// clearDue takes watches that cannot be evaluated off the clock, in one
// statement.
func clearDue(ctx context.Context, tx *gorm.DB, ws []watch) error {
	if len(ws) == 0 {
		return nil
	}
	obs, machines := make([]int64, len(ws)), make([]int64, len(ws))
	for i, w := range ws {
		obs[i], machines[i] = w.Observer, w.Machine
	}
	_, err := pg.Exec(ctx, tx, `UPDATE alert_watches w SET due_at = NULL
		FROM unnest($1::bigint[], $2::bigint[]) AS x(observer, machine)
		WHERE w.observer = x.observer AND w.machine = x.machine`, obs, machines)
	if err != nil {
		return fmt.Errorf("clear watch: %w", pg.MapError(err))
	}
	return nil
}
