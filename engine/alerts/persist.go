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

// alertRows are alerts as persist writes them: one array per column, sent
// as array parameters and read back with unnest.
type alertRows struct {
	id, userGroup, observer, machine, count []int64
	status                                  []string
	startedAt                               []time.Time
	resolvedAt, lastNotifiedAt              []*time.Time
	lastItemKind                            []*string
	lastItem                                []*int64
	notified                                []bool
}

func (r *alertRows) add(j *job, a *Alert) {
	r.id, r.userGroup, r.observer, r.machine = append(r.id, a.ID), append(r.userGroup, j.o.UserGroup),
		append(r.observer, j.o.ID), append(r.machine, j.m.ID)
	r.status, r.startedAt, r.resolvedAt = append(r.status, a.Status), append(r.startedAt, a.StartedAt),
		append(r.resolvedAt, a.ResolvedAt)
	r.lastNotifiedAt, r.count, r.notified = append(r.lastNotifiedAt, a.LastNotifiedAt), append(r.count, a.Count),
		append(r.notified, a.Notified)
	var kind *string
	var item *int64
	if a.LastItem != 0 {
		k, id := a.LastKind, a.LastItem
		kind, item = &k, &id
	}
	r.lastItemKind, r.lastItem = append(r.lastItemKind, kind), append(r.lastItem, item)
}

// args returns the arrays in the order of alertColumns, then now.
func (r *alertRows) args(now time.Time) []any {
	return []any{r.id, r.userGroup, r.observer, r.machine, r.status, r.startedAt, r.resolvedAt, r.lastNotifiedAt,
		r.count, r.lastItemKind, r.lastItem, r.notified, now}
}

const alertColumns = `unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
	$6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::bigint[], $10::text[], $11::bigint[],
	$12::boolean[]) AS x(id, user_group, observer, machine, status, started_at, resolved_at, last_notified_at,
	count, last_item_kind, last_item, notified)`

// The updates run before the inserts, so that an alert resolved in this
// evaluation leaves room for the next firing one (alerts_one_firing).
const (
	updateAlertsSQL = `UPDATE alerts a SET status = x.status, resolved_at = x.resolved_at,
	last_notified_at = x.last_notified_at, count = x.count, last_item_kind = x.last_item_kind,
	last_item = x.last_item, notified = x.notified, updated_at = $13
FROM ` + alertColumns + ` WHERE a.id = x.id`
	insertAlertsSQL = `INSERT INTO alerts (id, user_group, observer, machine, status, started_at, resolved_at,
	last_notified_at, count, last_item_kind, last_item, notified, created_at, updated_at)
SELECT x.id, x.user_group, x.observer, x.machine, x.status, x.started_at, x.resolved_at, x.last_notified_at,
	x.count, x.last_item_kind, x.last_item, x.notified, $13, $13
FROM ` + alertColumns
	updateWatchesSQL = `UPDATE alert_watches w SET state = x.state::jsonb, due_at = x.due_at, updated_at = $5
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[]) AS x(observer, machine, state, due_at)
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
	var updated, inserted alertRows
	for _, j := range jobs {
		for _, c := range j.changes {
			if kind := noticeKind(j, c); kind != "" {
				notices = append(notices, notice{j: j, a: c.Alert, kind: kind})
				c.Alert.Notified, c.Alert.LastNotifiedAt = true, &now
			}
			if c.New() {
				fresh, freshJobs = append(fresh, c.Alert), append(freshJobs, j)
			} else {
				updated.add(j, c.Alert)
			}
		}
	}
	if err := allocateIDs(ctx, tx, fresh); err != nil {
		return nil, err
	}
	for i, a := range fresh {
		inserted.add(freshJobs[i], a)
	}
	if len(updated.id) > 0 {
		if _, err := pg.Exec(ctx, tx, updateAlertsSQL, updated.args(now)...); err != nil {
			return nil, fmt.Errorf("update alerts: %w", pg.MapError(err))
		}
	}
	if len(inserted.id) > 0 {
		if _, err := pg.Exec(ctx, tx, insertAlertsSQL, inserted.args(now)...); err != nil {
			return nil, fmt.Errorf("insert alerts: %w", pg.MapError(err))
		}
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

// storeWatches writes the jobs' states (JSON, the column being jsonb) and
// next due times in one statement.
func storeWatches(ctx context.Context, tx *gorm.DB, jobs []*job, now time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	obs, machines := pairs(jobs)
	states, due := make([]*string, len(jobs)), make([]*time.Time, len(jobs))
	for i, j := range jobs {
		if j.w.State != nil {
			doc, err := json.Marshal(j.w.State)
			if err != nil {
				return fmt.Errorf("update watches: %w", err)
			}
			st := string(doc)
			states[i] = &st
		}
		due[i] = j.dueAt(now)
	}
	if _, err := pg.Exec(ctx, tx, updateWatchesSQL, obs, machines, states, due, now); err != nil {
		return fmt.Errorf("update watches: %w", pg.MapError(err))
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
