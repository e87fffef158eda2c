package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
)

// createWatchesSQL creates the missing watches of the pairs ($1, $2) as
// not judged yet; lockWatchesSQL locks watches in (observer, machine)
// order.
const (
	createWatchesSQL = `INSERT INTO alert_watches (observer, machine, due_at, updated_at)
SELECT p.observer, p.machine, $3, $3 FROM unnest($1::bigint[], $2::bigint[]) AS p (observer, machine)
ORDER BY 1, 2
ON CONFLICT (observer, machine) DO NOTHING`
	lockWatchesSQL = `SELECT w.observer, w.machine, w.state FROM alert_watches w
JOIN unnest($1::bigint[], $2::bigint[]) AS p (observer, machine) ON w.observer = p.observer AND w.machine = p.machine
ORDER BY w.observer, w.machine FOR UPDATE OF w`
)

// lockWatches locks the watches of jobs, creating the missing ones (as not
// judged yet), and loads their states into the jobs.
func lockWatches(ctx context.Context, tx *gorm.DB, jobs []*job, now time.Time) error {
	missing, err := lockExisting(ctx, tx, jobs)
	if err != nil || len(missing) == 0 {
		return err
	}
	obs, machines := pairs(missing)
	if _, err := pg.Exec(ctx, tx, createWatchesSQL, obs, machines, now); err != nil {
		return fmt.Errorf("create watches: %w", pg.MapError(err))
	}
	_, err = lockExisting(ctx, tx, missing)
	return err
}

func pairs(jobs []*job) (obs, machines []int64) {
	obs, machines = make([]int64, len(jobs)), make([]int64, len(jobs))
	for i, j := range jobs {
		obs[i], machines[i] = j.o.ID, j.m.ID
	}
	return obs, machines
}

// lockExisting locks the stored watches of jobs, loads their states, and
// returns the jobs without a stored watch.
func lockExisting(ctx context.Context, tx *gorm.DB, jobs []*job) ([]*job, error) {
	obs, machines := pairs(jobs)
	rows, err := pg.Query(ctx, tx, lockWatchesSQL, obs, machines)
	if err != nil {
		return nil, fmt.Errorf("lock watches: %w", pg.MapError(err))
	}
	ws, err := scanWatches(rows)
	if err != nil {
		return nil, err
	}
	byKey := make(map[pairKey]watch, len(ws))
	for _, w := range ws {
		byKey[pairKey{w.Observer, w.Machine}] = w
	}
	var missing []*job
	for _, j := range jobs {
		w, ok := byKey[pairKey{j.o.ID, j.m.ID}]
		if !ok {
			missing = append(missing, j)
		}
		j.w.State = w.State
	}
	return missing, nil
}

// scanWatches reads (observer, machine, state) rows and closes them.
func scanWatches(rows *sql.Rows) ([]watch, error) {
	defer rows.Close()
	var out []watch
	for rows.Next() {
		var w watch
		var state []byte
		if err := rows.Scan(&w.Observer, &w.Machine, &state); err != nil {
			return nil, fmt.Errorf("scan watch: %w", pg.MapError(err))
		}
		if state != nil {
			w.State = &State{}
			if err := json.Unmarshal(state, w.State); err != nil {
				return nil, fmt.Errorf("watch %d/%d: %w", w.Observer, w.Machine, err)
			}
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scan watch: %w", pg.MapError(err))
	}
	return out, nil
}

func distinctIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
