// Package alerts evaluates alert observers into alerts: on ingestion for
// the items that arrive, and on every tick for what falls due with the
// passing of time. The evaluation itself (Eval) is pure and shared with
// backtests; this package adds the observer index, the per (observer,
// machine) watches in PostgreSQL and the hand-over to notify.
package alerts

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/notify"
)

// DefaultTickBatch is how many due watches one tick transaction takes.
const DefaultTickBatch = 500

// Engine evaluates observers. It is safe for concurrent use, and several
// engines (replicas) may share one database: watches are taken with FOR
// UPDATE SKIP LOCKED, so each due watch is evaluated once.
type Engine struct {
	DB  *pg.DB
	Now func() time.Time
	// Enqueue hands an alert change to the notifications outbox inside the
	// transaction that made it (notify.EnqueueAlert by default).
	Enqueue func(ctx context.Context, tx *gorm.DB, ev notify.AlertEvent) error
	// TickBatch is how many due watches one tick transaction takes.
	TickBatch int

	index *index
}

// New returns an engine over db with the wall clock and notify's outbox.
func New(db *pg.DB) *Engine {
	return &Engine{DB: db, Now: time.Now, Enqueue: notify.EnqueueAlert, TickBatch: DefaultTickBatch,
		index: newIndex()}
}

// Time returns the engine's present.
func (e *Engine) Time() time.Time { return e.now() }

func (e *Engine) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// watch is one stored (observer, machine) watch. A nil State has not been
// judged yet.
type watch struct {
	Observer int64
	Machine  int64
	State    *State
}

// job is the evaluation of one watch: its observer, machine, and the new
// inputs (none at a tick).
type job struct {
	o       *observer
	m       *machineInfo
	w       *watch
	inputs  []Input
	changes []Change
	repeat  bool // a repeat notification is due
}

// run evaluates j at now: a watch not judged yet is judged from stored data
// at its earliest new input (or now) and the stored history from there on
// (which includes the new inputs, stored in the same transaction) is
// replayed; otherwise the new inputs are applied in time order and time passes up to
// now.
func (e *Engine) run(ctx context.Context, tx *gorm.DB, j *job, now time.Time) error {
	if j.w.State == nil {
		from, horizon := now, now
		for _, in := range j.inputs {
			from, horizon = fleet.Earlier(from, in.At), fleet.Later(horizon, in.At)
		}
		anchor := fleet.Later(j.o.CreatedAt, j.m.CreatedAt)
		st, changes, err := judgeAndReplay(ctx, tx, j.o, j.m, anchor, from, horizon, now)
		if err != nil {
			return err
		}
		j.w.State, j.changes = st, changes
	} else {
		ev := &Eval{Rule: j.o.rule(j.m.schedule), State: j.w.State, Now: now}
		sortInputs(j.inputs)
		for _, in := range j.inputs {
			ev.Apply(in)
		}
		ev.Finish()
		j.changes = ev.Changes
	}
	j.checkRepeat(now)
	return nil
}

// checkRepeat marks a repeat notification when the alert has been firing
// (and notified) for repeatEvery minutes since it was last notified.
func (j *job) checkRepeat(now time.Time) {
	a := j.w.State.Alert
	next, ok := j.nextRepeat()
	if !ok || next.After(now) || a.ID == 0 {
		return
	}
	j.repeat = true
	for _, c := range j.changes {
		if c.Alert == a {
			return
		}
	}
	j.changes = append(j.changes, Change{Alert: a, WasFiring: true})
}

// nextRepeat returns when the firing alert is next re-notified.
func (j *job) nextRepeat() (time.Time, bool) {
	a := j.w.State.Alert
	if j.o.RepeatEvery <= 0 || !a.Firing() || !a.Notified || a.LastNotifiedAt == nil {
		return time.Time{}, false
	}
	return a.LastNotifiedAt.Add(time.Duration(j.o.RepeatEvery) * time.Minute), true
}

// dueAt returns when the watch next needs the clock, or nil; never at or
// before now, so that one tick cannot take a watch twice.
func (j *job) dueAt(now time.Time) *time.Time {
	d := Deadline(j.o.rule(j.m.schedule), j.w.State)
	if next, ok := j.nextRepeat(); ok && (d.IsZero() || next.Before(d)) {
		d = next
	}
	if d.IsZero() {
		return nil
	}
	if !d.After(now) {
		d = now.Add(time.Second)
	}
	return &d
}

// sortInputs orders inputs by time; at one instant items come before
// resolutions, then by id, so that every replay is the same.
func sortInputs(ins []Input) {
	sortFunc(ins, func(a, b Input) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.Resolution != b.Resolution {
			if a.Resolution {
				return 1
			}
			return -1
		}
		return cmpInt(a.Item, b.Item)
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
