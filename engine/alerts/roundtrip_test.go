package alerts_test

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models/pg"
)

// roundTrips counts the statements (and BEGIN/COMMIT) sent to PostgreSQL
// through a pg.DB made by counted, with the time spent in each kind.
type roundTrips struct {
	mu    sync.Mutex
	n     int
	byKey map[string]int
	took  map[string]time.Duration
}

func (c *roundTrips) add(query string, start time.Time) {
	key := strings.Join(strings.Fields(query), " ")
	if len(key) > 60 {
		key = key[:60]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.byKey == nil {
		c.byKey, c.took = map[string]int{}, map[string]time.Duration{}
	}
	c.byKey[key]++
	c.took[key] += time.Since(start)
}

func (c *roundTrips) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.byKey, c.took = 0, nil, nil
}

// report logs the round trips per batch of batches, by statement.
func (c *roundTrips) report(tb testing.TB, name string, batches int) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.byKey))
	for k := range c.byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c.took[keys[i]] > c.took[keys[j]] })
	tb.Logf("%s: %.1f round trips per batch", name, float64(c.n)/float64(batches))
	for _, k := range keys {
		tb.Logf("  %5.1f × %6.2f ms  %s", float64(c.byKey[k])/float64(batches),
			float64(c.took[k].Microseconds())/1000/float64(batches), k)
	}
	return float64(c.n) / float64(batches)
}

// countingPool wraps the pool (or, in a transaction, the sql.Tx) gorm
// sends statements through.
type countingPool struct {
	c    *roundTrips
	pool gorm.ConnPool
}

func (p *countingPool) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return p.pool.PrepareContext(ctx, q)
}

func (p *countingPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	defer p.c.add(q, time.Now())
	return p.pool.ExecContext(ctx, q, args...)
}

func (p *countingPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	defer p.c.add(q, time.Now())
	return p.pool.QueryContext(ctx, q, args...)
}

func (p *countingPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	defer p.c.add(q, time.Now())
	return p.pool.QueryRowContext(ctx, q, args...)
}

func (p *countingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	defer p.c.add("BEGIN", time.Now())
	tx, err := p.pool.(*sql.DB).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{countingPool{p.c, tx}, tx}, nil
}

type countingTx struct {
	countingPool
	tx *sql.Tx
}

func (t *countingTx) Commit() error {
	defer t.c.add("COMMIT", time.Now())
	return t.tx.Commit()
}

func (t *countingTx) Rollback() error {
	defer t.c.add("ROLLBACK", time.Now())
	return t.tx.Rollback()
}

// counted returns a handle on db's connections that counts round trips.
func counted(tb testing.TB, db *pg.DB, c *roundTrips) *pg.DB {
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: &countingPool{c, db.SQL}}), &gorm.Config{
		Logger: logger.Discard, SkipDefaultTransaction: true,
		NowFunc: func() time.Time { return time.Now().UTC() }})
	if err != nil {
		tb.Fatal(err)
	}
	return &pg.DB{DB: g, SQL: db.SQL}
}

// maxEvalRoundTrips bounds the round trips evaluation adds to a batch whose
// watches exist: machines (with the index version), lock watches, update
// watches.
const maxEvalRoundTrips = 3

// TestIngestRoundTrips counts the round trips of one batch of 500 events
// in the set-up of BenchmarkIngest500Events10000Observers, with and without
// evaluation; run with -v to see them by statement.
func TestIngestRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("set-up of 10 000 observers")
	}
	f := newFixture(t)
	batch := f.benchSetup(10000)
	c := &roundTrips{}
	db := counted(t, f.db, c)
	f.engine.DB = db
	ctx := context.Background()
	f.clock.Set(t0.Add(24 * time.Hour))
	hooked := &ingest.Service{DB: db, Now: f.clock.Now, OnStored: f.engine.OnStored}
	plain := &ingest.Service{DB: db, Now: f.clock.Now}
	if _, err := hooked.IngestEvents(ctx, f.scope(), batch(1)); err != nil { // creates the watches
		t.Fatal(err)
	}
	const n = 5
	c.reset()
	for i := 0; i < n; i++ {
		if _, err := hooked.IngestEvents(ctx, f.scope(), batch(2+i)); err != nil {
			t.Fatal(err)
		}
	}
	withHook := c.report(t, "ingest + evaluate", n)
	c.reset()
	for i := 0; i < n; i++ {
		if _, err := plain.IngestEvents(ctx, f.scope(), batch(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	without := c.report(t, "ingest only", n)
	if extra := withHook - without; extra > maxEvalRoundTrips {
		t.Errorf("evaluation adds %.1f round trips per batch, want at most %d", extra, maxEvalRoundTrips)
	}
}

// TestTickTakesOrphansOffTheClock: a due watch whose observer no longer
// compiles is not evaluated and is not due again.
func TestTickTakesOrphansOffTheClock(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-time.Hour))
	var obs int64
	f.must(f.db.Raw(`INSERT INTO alert_observers (user_group, name, type, observer, timer, timer_type, condition)
		VALUES (?, 'broken', 'transaction', 'occurrence', 1, 1, 'transaction.price >') RETURNING id`, f.group).Scan(&obs).Error)
	f.must(f.db.Exec(`INSERT INTO alert_watches (observer, machine, due_at) VALUES (?, ?, ?)`, obs, m, t0).Error)
	f.tickAt(t0.Add(time.Minute))
	var due int64
	f.must(f.db.Raw(`SELECT count(*) FROM alert_watches WHERE observer = ? AND machine = ? AND due_at IS NOT NULL`,
		obs, m).Scan(&due).Error)
	if due != 0 {
		t.Error("orphan watch still due")
	}
}
