package alerts_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/engine/alerts"
	"github.com/vendrule/vendrule/models"
)

func ptr[T any](v T) *T { return &v }

func want(t *testing.T, got []alertRow, wants ...string) {
	t.Helper()
	var g []string
	for _, r := range got {
		g = append(g, r.String())
	}
	if strings.Join(g, " ") != strings.Join(wants, " ") {
		t.Errorf("alerts:\n got %v\nwant %v", g, wants)
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func TestOccurrenceAtTheEdgeOfTheWindow(t *testing.T) {
	f := newFixture(t)
	inside, edge := f.machine(t0.Add(-time.Hour)), f.machine(t0.Add(-time.Hour))
	obs := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 3, Timer: 10,
		TimerType: models.TimerMinutes, NotifyResolved: true})
	f.tick()
	last := t0.Add(10*time.Minute - time.Second)
	f.clock.Set(last)
	f.events(inside, "E1", t0, t0.Add(5*time.Minute), last)
	f.events(edge, "E1", t0, t0.Add(5*time.Minute), t0.Add(10*time.Minute))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=3 notified=true}", inside, ts(last)))

	f.events(inside, "E1", last.Add(time.Second)) // one more while firing counts
	f.tickAt(t0.Add(15*time.Minute - time.Second))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=4 notified=true}", inside, ts(last)))
	// The window holds fewer than 3 items once t0+5m is 10 minutes old.
	f.tickAt(t0.Add(15 * time.Minute))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d resolved %s..%s n=4 notified=true}", inside, ts(last),
		ts(t0.Add(15*time.Minute))))
	if got := f.noticeKinds(); !slices.Equal(got, []string{fmt.Sprintf("started:m%d", inside), fmt.Sprintf("resolved:m%d", inside)}) {
		t.Errorf("notices %v", got)
	}
}

func TestNonOccurrenceAtTheEdgeAndResolvedByASale(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-24 * time.Hour))
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
		TimerType: models.TimerHours, PaymentMethod: ptr("cash")})
	f.tick() // materialises the watch: no matching item ever, so the silence counts from the observer's creation
	f.tickAt(t0.Add(time.Hour - time.Second))
	want(t, f.alerts(obs))
	f.tickAt(t0.Add(time.Hour))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", m, ts(t0.Add(time.Hour))))
	f.clock.Set(t0.Add(70 * time.Minute))
	f.sales(m, "card", t0.Add(70*time.Minute)) // another method does not count
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", m, ts(t0.Add(time.Hour))))
	f.sales(m, "cash", t0.Add(70*time.Minute))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d resolved %s..%s n=0 notified=true}", m, ts(t0.Add(time.Hour)),
		ts(t0.Add(70*time.Minute))))
}

func TestNonOccurrenceJudgedOnStoredData(t *testing.T) {
	f := newFixture(t)
	old, fresh := f.machine(t0.Add(-48*time.Hour)), f.machine(t0.Add(-48*time.Hour))
	f.sales(old, "cash", t0.Add(-5*time.Hour))
	f.sales(fresh, "cash", t0.Add(-3*time.Hour))
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 4,
		TimerType: models.TimerHours, PaymentMethod: ptr("cash")})
	f.tick()
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", old, ts(t0)))
	f.tickAt(t0.Add(time.Hour - time.Second))
	f.tickAt(t0.Add(time.Hour))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", old, ts(t0)),
		fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", fresh, ts(t0.Add(time.Hour))))

	// A machine added later is watched from its creation.
	f.clock.Set(t0.Add(2 * time.Hour))
	added := f.machine(t0.Add(2 * time.Hour))
	f.tick()
	f.tickAt(t0.Add(6*time.Hour - time.Second))
	if n := len(f.alerts(obs)); n != 2 {
		t.Errorf("%d alerts before the new machine's timer", n)
	}
	f.tickAt(t0.Add(6 * time.Hour))
	got := f.alerts(obs)
	if len(got) != 3 || got[2].Machine != added || !got[2].StartedAt.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("new machine: %v", got)
	}
}

func TestNonResolutionAtTheEdge(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-time.Hour))
	jam := f.errorIdentity(m, "ED017")
	other := f.machine(t0.Add(-time.Hour))
	obs := f.observer(models.AlertObserver{Type: "event", Observer: models.NonResolution, Timer: 30,
		TimerType: models.TimerMinutes, Error: &jam, NotifyResolved: true})
	f.tick()
	f.events(m, "ED017", t0)
	f.events(m, "OTHER", t0)     // another error
	f.events(other, "ED017", t0) // unmapped on that machine
	f.tickAt(t0.Add(30*time.Minute - time.Second))
	want(t, f.alerts(obs))
	f.tickAt(t0.Add(30 * time.Minute))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=1 notified=true}", m, ts(t0.Add(30*time.Minute))))
	f.clock.Set(t0.Add(45 * time.Minute))
	f.resolvedEvent(m, "ED017", t0.Add(40*time.Minute), t0.Add(41*time.Minute))
	// count: the matching events seen, the resolving one included.
	want(t, f.alerts(obs), fmt.Sprintf("{m%d resolved %s..%s n=2 notified=true}", m, ts(t0.Add(30*time.Minute)),
		ts(t0.Add(41*time.Minute))))
	// Resolved one second before the timer: no alert.
	f.clock.Set(t0.Add(time.Hour))
	f.events(m, "ED017", t0.Add(time.Hour))
	f.clock.Set(t0.Add(time.Hour + 30*time.Minute - time.Second))
	f.resolvedEvent(m, "ED017", t0.Add(time.Hour+29*time.Minute), t0.Add(time.Hour+30*time.Minute-time.Second))
	f.tickAt(t0.Add(2 * time.Hour))
	if n := len(f.alerts(obs)); n != 1 {
		t.Errorf("alerts %v", f.alerts(obs))
	}
}

func TestMachineScopeAndCondition(t *testing.T) {
	f := newFixture(t)
	m1, m2 := f.machine(t0.Add(-time.Hour)), f.machine(t0.Add(-time.Hour))
	scoped := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 1, Timer: 10,
		TimerType: models.TimerMinutes, Machines: models.IDList{m1}})
	cond := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 1, Timer: 10,
		TimerType: models.TimerMinutes, Condition: `event.code == "HOT" && machine.name == "m2"`})
	f.tick()
	f.events(m2, "HOT", t0)
	f.events(m2, "COLD", t0)
	f.events(m1, "COLD", t0)
	want(t, f.alerts(scoped), fmt.Sprintf("{m%d firing %s..- n=1 notified=true}", m1, ts(t0)))
	want(t, f.alerts(cond), fmt.Sprintf("{m%d firing %s..- n=1 notified=true}", m2, ts(t0)))
}

func TestLateBacklogPreventsAndResolvesNonOccurrence(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			f := newFixture(t)
			m, late := f.machine(t0.Add(-time.Hour)), f.machine(t0.Add(-time.Hour))
			silent := func(machine int64) int64 {
				return f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
					TimerType: models.TimerHours, Machines: models.IDList{machine}, NotifyResolved: true})
			}
			obsM, obsLate := silent(m), silent(late)
			f.tick()
			backlog := []time.Time{t0.Add(30 * time.Minute), t0.Add(80 * time.Minute), t0.Add(130 * time.Minute)}
			if reverse {
				slices.Reverse(backlog)
			}
			// m uploads 3 h of backlog before a tick sees its silence: nothing fires,
			// as nothing would have with timely data (no gap of 1 h).
			f.clock.Set(t0.Add(3 * time.Hour))
			f.sales(m, "cash", backlog...)
			f.tick()
			want(t, f.alerts(obsM))

			// late's silence fired at a tick before its backlog arrived; the
			// backlog shows it sold at 30m, so the alert ends.
			g := newFixture(t)
			late = g.machine(t0.Add(-time.Hour))
			obsLate = g.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
				TimerType: models.TimerHours, Machines: models.IDList{late}, NotifyResolved: true})
			g.tick()
			g.tickAt(t0.Add(61 * time.Minute))
			want(t, g.alerts(obsLate), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", late, ts(t0.Add(time.Hour))))
			g.clock.Set(t0.Add(3 * time.Hour))
			g.sales(late, "cash", backlog...)
			g.tick()
			want(t, g.alerts(obsLate), fmt.Sprintf("{m%d resolved %s..%s n=0 notified=true}", late,
				ts(t0.Add(time.Hour)), ts(t0.Add(time.Hour))))
			if got := g.noticeKinds(); len(got) != 2 || got[1] != fmt.Sprintf("resolved:m%d", late) {
				t.Errorf("notices %v", got)
			}
		})
	}
}

func TestLateBacklogRaisesNoStaleOccurrenceAlerts(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-24 * time.Hour))
	obs := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 2, Timer: 10,
		TimerType: models.TimerMinutes, NotifyResolved: true})
	f.tick()
	now := t0.Add(3 * time.Hour)
	f.clock.Set(now)
	var backlog []time.Time
	for k := 0; k < 12; k++ { // pairs 1 minute apart every 15 minutes, 3 h ago
		at := t0.Add(time.Duration(k) * 15 * time.Minute)
		backlog = append(backlog, at.Add(time.Minute), at) // out of order
	}
	backlog = append(backlog, now.Add(-2*time.Minute), now.Add(-time.Minute)) // a burst that is still on
	f.events(m, "E", backlog...)
	got := f.alerts(obs)
	if len(got) != 13 {
		t.Fatalf("%d alerts: %v", len(got), got)
	}
	for _, a := range got[:12] {
		if a.Status != "resolved" || a.Notified {
			t.Errorf("stale window raised %v", a)
		}
	}
	if a := got[12]; a.Status != "firing" || !a.Notified || !a.StartedAt.Equal(now.Add(-time.Minute)) {
		t.Errorf("current window: %v", a)
	}
	if n := f.noticeKinds(); len(n) != 1 {
		t.Errorf("notices %v, want one start", n)
	}
}

func TestIdempotentReupload(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-time.Hour))
	obs := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 2, Timer: 10,
		TimerType: models.TimerMinutes})
	f.tick()
	f.clock.Set(t0.Add(time.Minute))
	in := []models.EventInput{
		{Remote: ptr(int64(1)), Machine: &m, Code: "E", OccurredAt: ts(t0)},
		{Remote: ptr(int64(2)), Machine: &m, Code: "E", OccurredAt: ts(t0.Add(time.Minute))},
	}
	for i := 0; i < 3; i++ {
		if _, err := f.ingest.IngestEvents(context.Background(), f.scope(), in); err != nil {
			t.Fatal(err)
		}
	}
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=2 notified=true}", m, ts(t0.Add(time.Minute))))
	if n := f.noticeKinds(); len(n) != 1 {
		t.Errorf("notices %v", n)
	}
}

func TestReplicasTickingTogetherRaiseEachAlertOnce(t *testing.T) {
	f := newFixture(t)
	const machines = 60
	for i := 0; i < machines; i++ {
		f.machine(t0.Add(-time.Hour))
	}
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
		TimerType: models.TimerHours, RepeatEvery: 30})
	f.tick()
	f.clock.Set(t0.Add(time.Hour))
	replicas := []*alerts.Engine{f.engine, f.newEngine(), f.newEngine()}
	for _, r := range replicas {
		r.TickBatch = 7
	}
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Tick(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := f.alerts(obs); len(got) != machines {
		t.Errorf("%d alerts, want %d", len(got), machines)
	}
	if n := f.noticeKinds(); len(n) != machines {
		t.Errorf("%d notices, want %d", len(n), machines)
	}
	// Thirty minutes later every alert is repeated once.
	f.clock.Set(t0.Add(90 * time.Minute))
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Tick(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.noticeKinds(); len(n) != 2*machines || !strings.HasPrefix(n[len(n)-1], "repeat:") {
		t.Errorf("%d notices after the repeat, want %d", len(n), 2*machines)
	}
}
