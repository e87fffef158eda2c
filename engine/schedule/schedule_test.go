package schedule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing t after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// replica is one scheduler with a counter job.
type replica struct {
	s    *Scheduler
	runs atomic.Int64
}

// newReplica starts a scheduler for owner whose job "tick" runs every
// 50 ms, counts its runs, and calls also when not nil.
func newReplica(t *testing.T, db *pg.DB, owner string, ttl time.Duration, also func()) *replica {
	t.Helper()
	s, err := New(db, owner, WithLeaseTTL(ttl))
	must(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	r := &replica{s: s}
	must(t, s.Every("tick", 50*time.Millisecond, func(context.Context) error {
		r.runs.Add(1)
		if also != nil {
			also()
		}
		return nil
	}))
	return r
}

func leaseOwner(t *testing.T, db *pg.DB) string {
	t.Helper()
	var owner string
	must(t, db.Raw(`SELECT coalesce(max(owner), '') FROM scheduler_leases WHERE name = ?`, DefaultLeaseName).Scan(&owner).Error)
	return owner
}

func TestLease(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	ctx := context.Background()
	a := NewLease(db, "jobs", "a", time.Hour)
	b := NewLease(db, "jobs", "b", time.Hour)
	other := NewLease(db, "other", "b", time.Hour)

	must(t, a.IsLeader(ctx)) // inserts the row
	if err := b.IsLeader(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("b while a holds: %v", err)
	}
	must(t, other.IsLeader(ctx)) // another name is another election
	var first time.Time
	must(t, db.Raw(`SELECT expires_at FROM scheduler_leases WHERE name = 'jobs'`).Scan(&first).Error)
	must(t, a.IsLeader(ctx)) // renews
	var renewed time.Time
	must(t, db.Raw(`SELECT expires_at FROM scheduler_leases WHERE name = 'jobs'`).Scan(&renewed).Error)
	if !renewed.After(first) || !a.Held() || b.Held() {
		t.Fatalf("renewal: %v -> %v, held a=%v b=%v", first, renewed, a.Held(), b.Held())
	}

	// Expired: the next caller takes it over, and a has lost it.
	must(t, db.Exec(`UPDATE scheduler_leases SET expires_at = now() - interval '1 second' WHERE name = 'jobs'`).Error)
	must(t, b.IsLeader(ctx))
	if err := a.IsLeader(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a after b took over: %v", err)
	}

	// Only the owner's release counts.
	must(t, a.Release(ctx))
	if err := a.IsLeader(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a after its own no-op release: %v", err)
	}
	must(t, b.Release(ctx))
	must(t, a.IsLeader(ctx))

	// Many owners racing for an expired lease: exactly one wins.
	must(t, db.Exec(`UPDATE scheduler_leases SET expires_at = now() - interval '1 second'`).Error)
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			err := NewLease(db, "jobs", fmt.Sprintf("racer%d", i), time.Hour).IsLeader(ctx)
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, ErrNotLeader) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d racers won the lease", wins.Load())
	}
}

// TestOneReplicaRuns: of two live replicas only one runs the job, and a slow
// run makes ticks skip instead of overlapping.
func TestOneReplicaRuns(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	var inFlight, maxInFlight atomic.Int64
	slow := func() {
		n := inFlight.Add(1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		time.Sleep(70 * time.Millisecond) // longer than the 50 ms interval
		inFlight.Add(-1)
	}
	a := newReplica(t, db, "a", 5*time.Second, slow)
	b := newReplica(t, db, "b", 5*time.Second, slow)
	a.s.Start()
	b.s.Start()
	waitFor(t, 8*time.Second, "10 runs", func() bool { return a.runs.Load()+b.runs.Load() >= 10 })

	ra, rb := a.runs.Load(), b.runs.Load()
	if ra != 0 && rb != 0 {
		t.Fatalf("both replicas ran the job: a %d, b %d", ra, rb)
	}
	leader, follower := a, b
	if rb > 0 {
		leader, follower = b, a
	}
	if got := leaseOwner(t, db); got != leader.s.Owner() || !leader.s.Leading() || follower.s.Leading() {
		t.Fatalf("lease owner %q, leader %s leading=%v, follower leading=%v",
			got, leader.s.Owner(), leader.s.Leading(), follower.s.Leading())
	}
	if m := maxInFlight.Load(); m != 1 {
		t.Fatalf("%d runs overlapped", m)
	}
}

// TestTakeoverAfterDeath: when the leader dies without giving the lease up,
// the other replica takes over once the lease expires.
func TestTakeoverAfterDeath(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	a := newReplica(t, db, "a", 600*time.Millisecond, nil)
	b := newReplica(t, db, "b", 600*time.Millisecond, nil)
	a.s.Start()
	b.s.Start()
	waitFor(t, 5*time.Second, "5 runs", func() bool { return a.runs.Load()+b.runs.Load() >= 5 })
	leader, follower := a, b
	if b.runs.Load() > 0 {
		leader, follower = b, a
	}
	if follower.runs.Load() != 0 {
		t.Fatalf("both replicas ran: a %d, b %d", a.runs.Load(), b.runs.Load())
	}

	must(t, leader.s.stop(false)) // dies: the lease stays until it expires
	if got := leaseOwner(t, db); got != leader.s.Owner() {
		t.Fatalf("lease owner after death %q, want %q", got, leader.s.Owner())
	}
	dead := leader.runs.Load()
	waitFor(t, 5*time.Second, "the follower to run 5 times", func() bool { return follower.runs.Load() >= 5 })
	if leader.runs.Load() != dead {
		t.Fatalf("the dead leader ran on")
	}
	if got := leaseOwner(t, db); got != follower.s.Owner() {
		t.Fatalf("lease owner after takeover %q, want %q", got, follower.s.Owner())
	}
}

// TestShutdownReleases: a clean shutdown gives the lease up at once, so the
// other replica takes over long before the TTL.
func TestShutdownReleases(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	a := newReplica(t, db, "a", time.Minute, nil)
	b := newReplica(t, db, "b", time.Minute, nil)
	a.s.Start()
	b.s.Start()
	waitFor(t, 5*time.Second, "5 runs", func() bool { return a.runs.Load()+b.runs.Load() >= 5 })
	leader, follower := a, b
	if b.runs.Load() > 0 {
		leader, follower = b, a
	}
	must(t, leader.s.Shutdown())
	if leader.s.Leading() {
		t.Fatal("the leader still claims the lease after Shutdown")
	}
	if got := leaseOwner(t, db); got == leader.s.Owner() {
		t.Fatal("Shutdown kept the lease")
	}
	waitFor(t, 5*time.Second, "the follower to run 3 times", func() bool { return follower.runs.Load() >= 3 })
	must(t, leader.s.Shutdown()) // twice is fine
	if err := leader.s.Every("late", time.Second, func(context.Context) error { return nil }); err == nil {
		t.Fatal("Every after Shutdown succeeded")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestFakeClock drives interval and cron jobs with a fake clock and checks
// that failures and panics are logged with the job's name.
func TestFakeClock(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 6, 10, 6, 59, 30, 0, time.UTC))
	var logs syncBuffer
	s, err := New(db, "", WithClock(clock), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	must(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)

	var ticks, digests, panics atomic.Int64
	must(t, s.Every("tick", time.Minute, func(context.Context) error {
		return fmt.Errorf("boom %d", ticks.Add(1))
	}))
	// 09:00 in Berlin (CEST) is 07:00 UTC.
	must(t, s.Cron("digest", "0 9 * * *", berlin, func(context.Context) error {
		digests.Add(1)
		return nil
	}))
	must(t, s.Cron("explode", "*/1 * * * *", nil, func(context.Context) error {
		panics.Add(1)
		panic("kaboom")
	}))
	if err := s.Every("tick", time.Second, func(context.Context) error { return nil }); err == nil {
		t.Fatal("a second job named tick was accepted")
	}
	if err := s.Cron("bad", "not a crontab", nil, func(context.Context) error { return nil }); err == nil {
		t.Fatal("a bad crontab was accepted")
	}
	s.Start()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	step := func(d time.Duration, wantTicks, wantDigests, wantPanics int64) {
		t.Helper()
		must(t, clock.BlockUntilContext(ctx, 3)) // the three jobs' timers
		clock.Advance(d)
		waitFor(t, 5*time.Second, "the runs", func() bool {
			return ticks.Load() == wantTicks && digests.Load() == wantDigests && panics.Load() == wantPanics
		})
	}
	step(30*time.Second, 1, 1, 1) // 07:00:00 UTC
	step(time.Minute, 2, 1, 2)    // 07:01:00 UTC: no digest until tomorrow

	waitFor(t, 5*time.Second, "the logs", func() bool {
		out := logs.String()
		return strings.Contains(out, `msg="scheduled job failed" job=tick err="boom 2"`) &&
			strings.Contains(out, `msg="scheduled job panicked" job=explode err="panic: kaboom"`)
	})
	if strings.Contains(logs.String(), "job=digest") {
		t.Fatalf("digest logged a failure:\n%s", logs.String())
	}
	if !s.Leading() || !strings.Contains(s.Owner(), "-") {
		t.Fatalf("leading %v, owner %q", s.Leading(), s.Owner())
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(nil, "a"); err == nil {
		t.Fatal("New without a database succeeded")
	}
	db := &pg.DB{}
	if _, err := New(db, "a", WithLeaseTTL(time.Millisecond)); err == nil {
		t.Fatal("New with a 1 ms TTL succeeded")
	}
	if _, err := New(db, "a", WithLeaseName("")); err == nil {
		t.Fatal("New with an empty lease name succeeded")
	}
}
