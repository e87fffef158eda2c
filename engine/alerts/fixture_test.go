package alerts_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/alerts"
	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
	"github.com/vendrule/vendrule/notify"
)

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// fixture is a tenant with machines, an ingest service wired to an engine,
// a clock and a record of the notifications handed over.
type fixture struct {
	t      testing.TB
	db     *pg.DB
	clock  *clock
	engine *alerts.Engine
	ingest *ingest.Service
	group  int64
	loc    int64
	seq    int64

	mu      sync.Mutex
	notices []notify.AlertEvent
}

// t0 is a Tuesday, 10:00 in Amsterdam.
var t0 = time.Date(2024, 3, 12, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := pgtest.MustOpenDB(t)
	db.SQL.SetMaxOpenConns(8)
	f := &fixture{t: t, db: db, clock: &clock{t: t0}}
	f.engine = f.newEngine()
	f.ingest = &ingest.Service{DB: db, Now: f.clock.Now, OnStored: f.engine.OnStored}
	f.must(db.Raw(`INSERT INTO user_groups (name) VALUES (?) RETURNING id`, fmt.Sprintf("t%p", f)).Scan(&f.group).Error)
	f.must(db.Raw(`INSERT INTO locations (user_group, name, time_zone) VALUES (?, 'loc', 'Europe/Amsterdam') RETURNING id`,
		f.group).Scan(&f.loc).Error)
	return f
}

// newEngine returns another engine (a replica) on the fixture's database.
func (f *fixture) newEngine() *alerts.Engine {
	e := alerts.New(f.db)
	e.Now = f.clock.Now
	e.Enqueue = func(_ context.Context, _ *gorm.DB, ev notify.AlertEvent) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.notices = append(f.notices, ev)
		return nil
	}
	return e
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// machine adds a machine created at created.
func (f *fixture) machine(created time.Time) int64 {
	f.t.Helper()
	f.seq++
	var id int64
	f.must(f.db.Raw(`INSERT INTO machines (user_group, name, hostname, location, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		f.group, fmt.Sprintf("m%d", f.seq), fmt.Sprintf("host-%p-%d", f, f.seq), f.loc, created).Scan(&id).Error)
	return id
}

// errorIdentity adds an error identity and maps code to it for machine.
func (f *fixture) errorIdentity(machine int64, code string) int64 {
	f.t.Helper()
	var mt, mf, ep, ei, mm int64
	f.must(f.db.Raw(`INSERT INTO machine_types (user_group, name) VALUES (?, 'type') RETURNING id`, f.group).Scan(&mt).Error)
	f.must(f.db.Raw(`INSERT INTO manufacturers (user_group, name) VALUES (?, 'mf') RETURNING id`, f.group).Scan(&mf).Error)
	f.must(f.db.Raw(`INSERT INTO error_profiles (user_group, name, machine_type, manufacturer) VALUES (?, 'p', ?, ?) RETURNING id`,
		f.group, mt, mf).Scan(&ep).Error)
	f.must(f.db.Raw(`INSERT INTO error_identities (user_group, machine_type, error) VALUES (?, ?, 'jam') RETURNING id`,
		f.group, mt).Scan(&ei).Error)
	f.must(f.db.Exec(`INSERT INTO error_codes (user_group, error_identity, error_profile, code) VALUES (?, ?, ?, ?)`,
		f.group, ei, ep, code).Error)
	f.must(f.db.Raw(`INSERT INTO machine_models (user_group, name, manufacturer, error_profile) VALUES (?, 'mm', ?, ?) RETURNING id`,
		f.group, mf, ep).Scan(&mm).Error)
	f.must(f.db.Exec(`UPDATE machines SET machine_model = ? WHERE id = ?`, mm, machine).Error)
	return ei
}

// observer stores o for the tenant, created at the clock's time, and
// refreshes its watches as a tick would.
func (f *fixture) observer(o models.AlertObserver) int64 {
	f.t.Helper()
	o.UserGroup = f.group
	if o.Name == "" {
		o.Name = "obs"
	}
	if o.Machines == nil {
		o.Machines = models.IDList{}
	}
	if err := ingest.ValidateObserver(&o); err != nil {
		f.t.Fatal(err)
	}
	o.CreatedAt, o.UpdatedAt = f.clock.Now(), f.clock.Now()
	f.must(f.db.Table("alert_observers").Create(&o).Error)
	return o.ID
}

func (f *fixture) scope() models.Scope {
	return models.Scope{UserID: 1, GroupID: f.group, Groups: []int64{f.group}}
}

// event uploads one event for machine at.
func (f *fixture) events(machine int64, code string, at ...time.Time) {
	f.t.Helper()
	in := make([]models.EventInput, len(at))
	for i, t := range at {
		f.seq++
		r := f.seq
		in[i] = models.EventInput{Remote: &r, Machine: &machine, Code: code, OccurredAt: t.Format(time.RFC3339)}
	}
	_, err := f.ingest.IngestEvents(context.Background(), f.scope(), in)
	f.must(err)
}

// resolvedEvent uploads an event that carries its resolution.
func (f *fixture) resolvedEvent(machine int64, code string, at, resolved time.Time) {
	f.t.Helper()
	f.seq++
	r := f.seq
	res := resolved.Format(time.RFC3339)
	_, err := f.ingest.IngestEvents(context.Background(), f.scope(), []models.EventInput{{Remote: &r, Machine: &machine,
		Code: code, OccurredAt: at.Format(time.RFC3339), ResolvedAt: &res}})
	f.must(err)
}

// sales uploads one sale per time, paid with method.
func (f *fixture) sales(machine int64, method string, at ...time.Time) {
	f.t.Helper()
	in := make([]models.TransactionInput, len(at))
	for i, t := range at {
		f.seq++
		r := f.seq
		in[i] = models.TransactionInput{Remote: &r, Machine: &machine, OccurredAt: t.Format(time.RFC3339), Price: 100,
			Name: "cola", Payments: []models.PaymentInput{{Method: method, Price: 100}}}
	}
	_, err := f.ingest.IngestTransactions(context.Background(), f.scope(), in)
	f.must(err)
}

func (f *fixture) tick() {
	f.t.Helper()
	f.must(f.engine.Tick(context.Background()))
}

// at sets the clock and ticks.
func (f *fixture) tickAt(t time.Time) {
	f.t.Helper()
	f.clock.Set(t)
	f.tick()
}

type alertRow struct {
	ID         int64
	Observer   int64
	Machine    int64
	Status     string
	StartedAt  time.Time
	ResolvedAt *time.Time
	Count      int64
	Notified   bool
}

func (r alertRow) String() string {
	end := "-"
	if r.ResolvedAt != nil {
		end = r.ResolvedAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("{m%d %s %s..%s n=%d notified=%v}", r.Machine, r.Status, r.StartedAt.UTC().Format(time.RFC3339),
		end, r.Count, r.Notified)
}

// alerts returns the observer's alerts in order.
func (f *fixture) alerts(observer int64) []alertRow {
	f.t.Helper()
	var rows []alertRow
	f.must(f.db.Raw(`SELECT id, observer, machine, status, started_at, resolved_at, count, notified FROM alerts
		WHERE observer = ? ORDER BY started_at, id`, observer).Scan(&rows).Error)
	return rows
}

func (f *fixture) noticeKinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.notices {
		out = append(out, fmt.Sprintf("%s:m%d", n.Kind, n.MachineID))
	}
	return out
}
