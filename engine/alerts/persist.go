package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/notify"
)

// alertRow is an alert as persist writes it (jsonb_to_recordset).
type alertRow struct {
	ID             int64      `json:"id"`
	UserGroup      int64      `json:"user_group"`
	Observer       int64      `json:"observer"`
	Machine        int64      `json:"machine"`
	Status         string     `json:"status"`
	StartedAt      time.Time  `json:"started_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	LastNotifiedAt *time.Time `json:"last_notified_at"`
	Count          int64      `json:"count"`
	LastItemKind   *string    `json:"last_item_kind"`
	LastItem       *int64     `json:"last_item"`
	Notified       bool       `json:"notified"`
}

const alertRecord = `x(id bigint, user_group bigint, observer bigint, machine bigint, status text,
	started_at timestamptz, resolved_at timestamptz, last_notified_at timestamptz, count bigint,
	last_item_kind text, last_item bigint, notified boolean)`

// The updates run before the inserts, so that an alert resolved in this
// evaluation leaves room for the next firing one (alerts_one_firing).
const (
	updateAlertsSQL = `UPDATE alerts a SET status = x.status, resolved_at = x.resolved_at,
	last_notified_at = x.last_notified_at, count = x.count, last_item_kind = x.last_item_kind,
	last_item = x.last_item, notified = x.notified, updated_at = $2
FROM jsonb_to_recordset($1::jsonb) AS ` + alertRecord + ` WHERE a.id = x.id`
	insertAlertsSQL = `INSERT INTO alerts (id, user_group, observer, machine, status, started_at, resolved_at,
	last_notified_at, count, last_item_kind, last_item, notified, created_at, updated_at)
SELECT x.id, x.user_group, x.observer, x.machine, x.status, x.started_at, x.resolved_at, x.last_notified_at,
	x.count, x.last_item_kind, x.last_item, x.notified, $2, $2
FROM jsonb_to_recordset($1::jsonb) AS ` + alertRecord
	updateWatchesSQL = `UPDATE alert_watches w SET state = x.state, due_at = x.due_at, updated_at = $2
FROM jsonb_to_recordset($1::jsonb) AS x(observer bigint, machine bigint, state jsonb, due_at timestamptz)
WHERE w.observer = x.observer AND w.machine = x.machine`
)

// notice is a notification to hand over once the alerts are stored.
type notice struct {
	j    *job
	a    *Alert
	kind string
}

// persist stores what the jobs changed: alerts (new ones get ids first, so
// that the watches' states refer to them), then the watches, then the
// notifications, all in tx.
func (e *Engine) persist(ctx context.Context, tx *gorm.DB, jobs []*job, now time.Time) error {
	notices, err := e.storeAlerts(ctx, tx, jobs, now)
	if err != nil {
		return err
	}
	if err := storeWatches(ctx, tx, jobs, now); err != nil {
		return err
	}
	for _, n := range notices {
		if err := e.Enqueue(ctx, tx, alertEvent(n, now)); err != nil {
			return fmt.Errorf("enqueue alert: %w", err)
		}
	}
	return nil
}

// storeAlerts decides the notifications (see notices) and writes the
// changed alerts.
func (e *Engine) storeAlerts(ctx context.Context, tx *gorm.DB, jobs []*job, now time.Time) ([]notice, error) {
	var notices []notice
	var fresh []*Alert
	var freshJobs []*job
	var updated, inserted []alertRow
	for _, j := range jobs {
		for _, c := range j.changes {
			if kind := noticeKind(j, c); kind != "" {
				notices = append(notices, notice{j: j, a: c.Alert, kind: kind})
				c.Alert.Notified, c.Alert.LastNotifiedAt = true, &now
			}
			if c.New() {
				fresh, freshJobs = append(fresh, c.Alert), append(freshJobs, j)
			} else {
				updated = append(updated, row(j, c.Alert))
			}
		}
	}
	if err := allocateIDs(ctx, tx, fresh); err != nil {
		return nil, err
	}
	for i, a := range fresh {
		inserted = append(inserted, row(freshJobs[i], a))
	}
	if err := execJSON(ctx, tx, updateAlertsSQL, updated, now); err != nil {
		return nil, fmt.Errorf("update alerts: %w", err)
	}
	if err := execJSON(ctx, tx, insertAlertsSQL, inserted, now); err != nil {
		return nil, fmt.Errorf("insert alerts: %w", err)
	}
	return notices, nil
}

// noticeKind says what to tell about a change: a new alert still firing
// has started; an alert that was firing and notified and is now resolved
// has ended (only with notifyResolved); a due repeat repeats. An alert that
// started and ended within one evaluation (late data: it lies wholly in the
// past) is history and tells nobody.
func noticeKind(j *job, c Change) string {
	a := c.Alert
	switch {
	case c.New() && a.Firing():
		return notify.AlertStarted
	case c.WasFiring && !a.Firing() && a.Notified && j.o.NotifyResolved:
		return notify.AlertResolved
	case j.repeat && a == j.w.State.Alert && a.Firing() && !c.New():
		return notify.AlertRepeat
	}
	return ""
}

// allocateIDs gives new alerts ids from the table's sequence in one round
// trip, so that they can be inserted in one statement.
func allocateIDs(ctx context.Context, tx *gorm.DB, alerts []*Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	var ids []int64
	err := tx.WithContext(ctx).Raw(`SELECT nextval(pg_get_serial_sequence('alerts', 'id'))
		FROM generate_series(1, ?)`, len(alerts)).Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("allocate alert ids: %w", pg.MapError(err))
	}
	for i, a := range alerts {
		a.ID = ids[i]
	}
	return nil
}

func row(j *job, a *Alert) alertRow {
	r := alertRow{ID: a.ID, UserGroup: j.o.UserGroup, Observer: j.o.ID, Machine: j.m.ID, Status: a.Status,
		StartedAt: a.StartedAt, ResolvedAt: a.ResolvedAt, LastNotifiedAt: a.LastNotifiedAt, Count: a.Count,
		Notified: a.Notified}
	if a.LastItem != 0 {
		kind, id := a.LastKind, a.LastItem
		r.LastItemKind, r.LastItem = &kind, &id
	}
	return r
}

// execJSON runs query with rows as one jsonb parameter ($1) and now ($2).
func execJSON[T any](ctx context.Context, tx *gorm.DB, query string, rows []T, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = tx.Statement.ConnPool.ExecContext(ctx, query, string(doc), now)
	return pg.MapError(err)
}

type watchRow struct {
	Observer int64      `json:"observer"`
	Machine  int64      `json:"machine"`
	State    *State     `json:"state"`
	DueAt    *time.Time `json:"due_at"`
}

// storeWatches writes the jobs' states and next due times.
func storeWatches(ctx context.Context, tx *gorm.DB, jobs []*job, now time.Time) error {
	rows := make([]watchRow, len(jobs))
	for i, j := range jobs {
		rows[i] = watchRow{Observer: j.w.Observer, Machine: j.w.Machine, State: j.w.State, DueAt: j.dueAt(now)}
	}
	if err := execJSON(ctx, tx, updateWatchesSQL, rows, now); err != nil {
		return fmt.Errorf("update watches: %w", err)
	}
	return nil
}

// alertEvent describes a notice for notify.
func alertEvent(n notice, now time.Time) notify.AlertEvent {
	o, m, a := n.j.o, n.j.m, n.a
	return notify.AlertEvent{AlertID: a.ID, UserGroup: o.UserGroup, AlertGroup: o.AlertGroup, Kind: n.kind,
		ObserverID: o.ID, ObserverName: o.Name, MachineID: m.ID, MachineName: m.Name, LocationID: m.Location,
		LocationName: m.LocationName, TimeZone: m.TimeZone, StartedAt: a.StartedAt, ResolvedAt: a.ResolvedAt,
		Count: a.Count, At: now}
}
