package notify_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
	"github.com/vendrule/vendrule/notify"
	"github.com/vendrule/vendrule/notify/notifytest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a fresh database with one tenant, an SMTP server and a deliverer.
type env struct {
	t     testing.TB
	db    *pg.DB
	smtp  *notifytest.Server
	d     *notify.Deliverer
	now   atomic.Int64 // unix nanoseconds of the injected clock
	group int64
	seq   atomic.Int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, db: pgtest.MustOpenDB(t), smtp: notifytest.Start(t)}
	e.db.SQL.SetMaxOpenConns(12)
	e.now.Store(time.Now().Add(time.Second).UnixNano())
	e.d = notify.NewDeliverer(e.db, e.smtp.Channel(t))
	e.d.Now = e.clock
	e.d.Backoff = notify.Backoff{Base: time.Minute, Max: time.Hour, Jitter: func() float64 { return 0.5 }}
	e.exec("INSERT INTO user_groups (name) VALUES (?) RETURNING id", fmt.Sprintf("tenant-%d", time.Now().UnixNano()))
	e.db.Raw("SELECT max(id) FROM user_groups").Scan(&e.group)
	return e
}

func (e *env) clock() time.Time        { return time.Unix(0, e.now.Load()) }
func (e *env) advance(d time.Duration) { e.now.Add(int64(d)) }

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if err := e.db.Exec(sql, args...).Error; err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// id runs an INSERT … RETURNING id.
func (e *env) id(sql string, args ...any) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Raw(sql, args...).Scan(&id).Error; err != nil || id == 0 {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (e *env) alertGroup(schedule, tz string) int64 {
	return e.id("INSERT INTO alert_groups (user_group, name, schedule, time_zone) VALUES (?, ?, ?, ?) RETURNING id",
		e.group, fmt.Sprintf("Group %d", e.seq.Add(1)), schedule, tz)
}

func (e *env) recipient(group int64, email string, lang *int64, active bool) int64 {
	return e.id(`INSERT INTO alert_recipients (user_group, name, email, language, alert_group, active)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, e.group, email, email, lang, group, active)
}

func (e *env) language(code string) *int64 {
	id := e.id("SELECT id FROM languages WHERE language = ? AND user_group IS NULL", code)
	return &id
}

// event is an alert that started now, for alert group g.
func (e *env) event(g int64, kind string) notify.AlertEvent {
	n := e.seq.Add(1)
	return notify.AlertEvent{AlertID: 1000 + n, UserGroup: e.group, AlertGroup: &g, Kind: kind,
		ObserverID: 7, ObserverName: "Coin jam", MachineID: 12, MachineName: "Kiosk 12",
		LocationID: 3, LocationName: "Centraal Station", TimeZone: "Europe/Amsterdam",
		StartedAt: time.Date(2024, 7, 1, 10, 30, 0, 0, time.UTC), Count: 3, At: e.clock()}
}

func (e *env) enqueue(ev notify.AlertEvent) {
	e.t.Helper()
	if err := notify.EnqueueAlert(context.Background(), e.db.DB, ev); err != nil {
		e.t.Fatal(err)
	}
}

// enqueueN queues n plain messages to distinct addresses.
func (e *env) enqueueN(n int) {
	e.t.Helper()
	e.exec(`INSERT INTO outbox (user_group, kind, to_address, subject, body_text)
		SELECT ?, 'test', 'user' || g || '@example.test', 'Message ' || g, 'Body ' || g FROM generate_series(1, ?) g`,
		e.group, n)
}

func (e *env) drain() {
	e.t.Helper()
	if err := e.d.Drain(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// statuses counts outbox rows by status.
func (e *env) statuses() map[string]int {
	var rows []struct {
		Status string
		N      int
	}
	e.db.Raw("SELECT status, count(*) AS n FROM outbox GROUP BY status").Scan(&rows)
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// exactlyOnce fails unless every outbox row was received exactly once, by
// Message-ID, and nothing else was received.
func (e *env) exactlyOnce(rows int) {
	e.t.Helper()
	seen := map[string]int{}
	for _, m := range e.smtp.Mails() {
		seen[m.MessageID]++
	}
	for id, n := range seen {
		if n != 1 {
			e.t.Errorf("Message-ID %s received %d times", id, n)
		}
	}
	if len(seen) != rows {
		e.t.Errorf("%d distinct messages received, want %d", len(seen), rows)
	}
}
