package alerts_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// setActive switches machine on or off as PUT /machines/{id} does.
func (f *fixture) setActive(machine int64, active bool) {
	f.t.Helper()
	f.must(f.db.Exec(`UPDATE machines SET active = ?, updated_at = now() WHERE id = ?`, active, machine).Error)
}

// watchCount returns how many watches machine has, and how many of them
// are due.
func (f *fixture) watchCount(machine int64) (all, due int64) {
	f.t.Helper()
	f.must(f.db.Raw(`SELECT count(*) FROM alert_watches WHERE machine = ?`, machine).Scan(&all).Error)
	f.must(f.db.Raw(`SELECT count(*) FROM alert_watches WHERE machine = ? AND due_at IS NOT NULL`, machine).Scan(&due).Error)
	return all, due
}

func TestInactiveMachineGetsNoNonOccurrenceAlert(t *testing.T) {
	f := newFixture(t)
	on, off := f.machine(t0.Add(-time.Hour)), f.machine(t0.Add(-time.Hour))
	f.setActive(off, false)
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
		TimerType: models.TimerHours})
	f.tick()
	if all, _ := f.watchCount(off); all != 0 {
		t.Errorf("inactive machine has %d watches", all)
	}
	f.tickAt(t0.Add(time.Hour))
	f.tickAt(t0.Add(5 * time.Hour))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", on, ts(t0.Add(time.Hour))))
}

func TestDeactivatingResolvesFiringAlertsSilently(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-time.Hour))
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
		TimerType: models.TimerHours, NotifyResolved: true, RepeatEvery: 30})
	f.tick()
	f.tickAt(t0.Add(time.Hour))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", m, ts(t0.Add(time.Hour))))

	f.clock.Set(t0.Add(80 * time.Minute))
	f.setActive(m, false)
	f.tick()
	want(t, f.alerts(obs), fmt.Sprintf("{m%d resolved %s..%s n=0 notified=true}", m, ts(t0.Add(time.Hour)),
		ts(t0.Add(80*time.Minute))))
	if all, due := f.watchCount(m); all != 1 || due != 0 {
		t.Errorf("watches %d, due %d; want one parked", all, due)
	}
	// Changing the observer makes its watches due again; the inactive
	// machine's stays parked.
	f.must(f.db.Exec(`UPDATE alert_observers SET name = 'renamed' WHERE id = ?`, obs).Error)
	f.tickAt(t0.Add(3 * time.Hour))
	f.tickAt(t0.Add(10 * time.Hour))
	if _, due := f.watchCount(m); due != 0 {
		t.Errorf("%d watches due on an inactive machine", due)
	}
	if n := len(f.alerts(obs)); n != 1 {
		t.Errorf("%d alerts; want only the resolved one", n)
	}
	// No end notice (notifyResolved is on), no repeat: nothing but the start.
	if got := f.noticeKinds(); !slices.Equal(got, []string{fmt.Sprintf("started:m%d", m)}) {
		t.Errorf("notices %v", got)
	}
	var outbox int64
	f.must(f.db.Raw(`SELECT count(*) FROM outbox`).Scan(&outbox).Error)
	if outbox != 0 {
		t.Errorf("%d outbox rows", outbox)
	}
}

func TestInactiveMachineItemsRaiseNothing(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-time.Hour))
	jam := f.errorIdentity(m, "ED017")
	f.setActive(m, false)
	occ := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 1, Timer: 10,
		TimerType: models.TimerMinutes})
	sale := f.observer(models.AlertObserver{Type: "transaction", Observer: models.Occurrence, Occurs: 1, Timer: 10,
		TimerType: models.TimerMinutes})
	open := f.observer(models.AlertObserver{Type: "event", Observer: models.NonResolution, Timer: 30,
		TimerType: models.TimerMinutes, Error: &jam})
	f.tick()
	f.clock.Set(t0.Add(time.Minute))
	f.events(m, "ED017", t0, t0.Add(time.Minute))
	f.sales(m, "cash", t0.Add(time.Minute))
	f.tickAt(t0.Add(2 * time.Hour))
	for _, o := range []int64{occ, sale, open} {
		want(t, f.alerts(o))
	}
	var events, sales int64
	f.must(f.db.Raw(`SELECT count(*) FROM logs WHERE machine = ?`, m).Scan(&events).Error)
	f.must(f.db.Raw(`SELECT count(*) FROM revenue_transactions WHERE machine = ?`, m).Scan(&sales).Error)
	if events != 2 || sales != 1 {
		t.Errorf("stored %d events, %d sales; want 2, 1", events, sales)
	}
	if all, _ := f.watchCount(m); all != 0 {
		t.Errorf("inactive machine has %d watches", all)
	}
	if got := f.noticeKinds(); len(got) != 0 {
		t.Errorf("notices %v", got)
	}
}

func TestReactivationCountsFromTheReactivation(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-30 * 24 * time.Hour))
	f.sales(m, "cash", t0.Add(-20*24*time.Hour)) // its last sale, long ago
	f.setActive(m, false)
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 4,
		TimerType: models.TimerHours})
	f.tick()
	f.tickAt(t0.Add(10 * time.Hour))
	want(t, f.alerts(obs))

	back := t0.Add(10*time.Hour + time.Minute)
	f.clock.Set(back)
	f.setActive(m, true)
	f.tick() // watches the machine again, counting from now
	f.tickAt(back.Add(4*time.Hour - time.Second))
	want(t, f.alerts(obs))
	f.tickAt(back.Add(4 * time.Hour))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", m, ts(back.Add(4*time.Hour))))

	// Off and on again between two ticks: the firing alert ends without a
	// notice and the silence counts from the tick that saw the flip.
	again := back.Add(5 * time.Hour)
	f.clock.Set(again)
	f.setActive(m, false)
	f.setActive(m, true)
	f.tick()
	f.tickAt(again.Add(4*time.Hour - time.Second))
	f.tickAt(again.Add(4 * time.Hour))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d resolved %s..%s n=0 notified=true}", m, ts(back.Add(4*time.Hour)), ts(again)),
		fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", m, ts(again.Add(4*time.Hour))))
	if got := f.noticeKinds(); !slices.Equal(got, []string{fmt.Sprintf("started:m%d", m), fmt.Sprintf("started:m%d", m)}) {
		t.Errorf("notices %v", got)
	}
}

// An occurrence watch of a reactivated machine forgets the items before.
func TestReactivationForgetsOccurrencesBefore(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-time.Hour))
	obs := f.observer(models.AlertObserver{Type: "event", Observer: models.Occurrence, Occurs: 2, Timer: 10,
		TimerType: models.TimerMinutes})
	f.tick()
	f.clock.Set(t0)
	f.events(m, "E1", t0) // one of two, while active: the watch remembers it
	f.setActive(m, false)
	f.tickAt(t0.Add(time.Minute))
	f.setActive(m, true)
	f.tickAt(t0.Add(2 * time.Minute))
	f.events(m, "E1", t0.Add(2*time.Minute)) // the first since the reactivation
	want(t, f.alerts(obs))
	f.events(m, "E1", t0.Add(3*time.Minute))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=2 notified=true}", m, ts(t0.Add(3*time.Minute))))
}
