package alerts

import (
	"slices"
	"time"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models"
)

// Alert statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// maxOpen bounds the unresolved events a non_resolution watch remembers;
// the oldest are kept, since they fall due first.
const maxOpen = 100

// Rule is what the evaluator needs to know of an observer.
type Rule struct {
	Kind   string         // models.Occurrence, NonOccurrence or NonResolution
	Window time.Duration  // the timer
	Occurs int            // items needed within the window (at least 1)
	Hours  fleet.Schedule // open time; always open when empty
}

// Input is one step of an item stream: a matching item that occurred at At,
// or (Resolution) the resolution at At of the event Item.
type Input struct {
	At         time.Time
	Item       int64
	Kind       string // models.ObserverEvent or models.ObserverTransaction
	Resolution bool
}

// Alert is the evaluator's view of one alert. ID is 0 until it is stored.
type Alert struct {
	ID             int64      `json:"id"`
	Status         string     `json:"status"`
	StartedAt      time.Time  `json:"startedAt"`
	ResolvedAt     *time.Time `json:"resolvedAt,omitempty"`
	Count          int64      `json:"count"`
	LastItem       int64      `json:"lastItem,omitempty"`
	LastKind       string     `json:"lastKind,omitempty"`
	Notified       bool       `json:"notified,omitempty"`
	LastNotifiedAt *time.Time `json:"lastNotifiedAt,omitempty"`
}

// Firing reports whether a is firing.
func (a *Alert) Firing() bool { return a != nil && a.Status == StatusFiring }

// OpenEvent is an unresolved matching event.
type OpenEvent struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
}

// State is what one observer remembers of one machine between evaluations.
type State struct {
	Since  time.Time   `json:"since,omitzero"`   // non_occurrence: the last matching item, or where counting starts
	Recent []time.Time `json:"recent,omitempty"` // occurrence: the latest Occurs matching items, oldest first
	Open   []OpenEvent `json:"open,omitempty"`   // non_resolution: unresolved matching events, oldest first
	Alert  *Alert      `json:"alert,omitempty"`  // the latest alert
}

// Change is an alert the evaluation touched, with whether it was firing
// before (false for new alerts).
type Change struct {
	Alert     *Alert
	WasFiring bool
}

// New reports whether the alert was made by this evaluation.
func (c Change) New() bool { return c.Alert.ID == 0 }

// Eval applies inputs and the passing of time to one State. It is pure: it
// reads no clock and stores nothing, so that live evaluation and backtests
// share it. Now is the evaluation's present: deadlines after it wait.
type Eval struct {
	Rule    Rule
	State   *State
	Now     time.Time
	Changes []Change
}

// Apply first lets time pass up to the input (but not past Now), then
// applies it.
func (e *Eval) Apply(in Input) {
	e.Advance(fleet.Earlier(in.At, e.Now))
	switch {
	case in.Resolution:
		e.resolveEvent(in)
	case e.Rule.Kind == models.Occurrence:
		e.observeOccurrence(in)
	case e.Rule.Kind == models.NonOccurrence:
		e.observeActivity(in)
	case e.Rule.Kind == models.NonResolution:
		e.observeOpen(in)
	}
}

// Finish lets time pass up to Now.
func (e *Eval) Finish() { e.Advance(e.Now) }

// Advance fires and resolves what falls due at or before t.
func (e *Eval) Advance(t time.Time) {
	for i := 0; i < 1000; i++ {
		d := Deadline(e.Rule, e.State)
		if d.IsZero() || d.After(t) {
			return
		}
		e.expire(d)
	}
}

// Deadline returns the next instant at which the state changes by the
// passing of time alone, or the zero time when none.
func Deadline(r Rule, st *State) time.Time {
	firing := st.Alert.Firing()
	switch r.Kind {
	case models.Occurrence:
		if firing && len(st.Recent) >= r.occurs() {
			return r.Hours.Add(st.Recent[len(st.Recent)-r.occurs()], r.Window)
		}
	case models.NonOccurrence:
		if !firing && !st.Since.IsZero() {
			return r.Hours.Add(st.Since, r.Window)
		}
	case models.NonResolution:
		if !firing && len(st.Open) > 0 {
			return r.Hours.Add(st.Open[0].At, r.Window)
		}
	}
	return time.Time{}
}

func (r Rule) occurs() int { return max(r.Occurs, 1) }

// expire applies the deadline d.
func (e *Eval) expire(d time.Time) {
	switch e.Rule.Kind {
	case models.Occurrence:
		e.resolve(d)
	case models.NonOccurrence:
		e.start(d, 0)
	case models.NonResolution:
		e.start(d, int64(e.overdue(d)))
	}
}

// overdue counts the open events that have been unresolved for the window
// at t.
func (e *Eval) overdue(t time.Time) int {
	n := 0
	for _, o := range e.State.Open {
		if !e.Rule.Hours.Add(o.At, e.Rule.Window).After(t) {
			n++
		}
	}
	return n
}

// touch records that a is changed by this evaluation.
func (e *Eval) touch(a *Alert, wasFiring bool) {
	for _, c := range e.Changes {
		if c.Alert == a {
			return
		}
	}
	e.Changes = append(e.Changes, Change{Alert: a, WasFiring: wasFiring})
}

// start makes a new firing alert.
func (e *Eval) start(at time.Time, count int64) *Alert {
	a := &Alert{Status: StatusFiring, StartedAt: at, Count: count}
	e.State.Alert = a
	e.touch(a, false)
	return a
}

// resolve ends the firing alert at at (never before it started).
func (e *Eval) resolve(at time.Time) {
	a := e.State.Alert
	if !a.Firing() {
		return
	}
	e.touch(a, true)
	at = fleet.Later(at, a.StartedAt)
	a.Status, a.ResolvedAt = StatusResolved, &at
}

// counted adds a matching item to the firing alert.
func (e *Eval) counted(in Input) {
	a := e.State.Alert
	e.touch(a, true)
	a.Count++
	a.LastItem, a.LastKind = in.Item, in.Kind
}

// observeOccurrence keeps the latest Occurs items; an alert starts when
// they lie within one window (the window is (t-timer, t], so two items
// exactly one timer apart are not in one window).
func (e *Eval) observeOccurrence(in Input) {
	st, n := e.State, e.Rule.occurs()
	st.Recent = e.pruneWindow(insertTime(st.Recent, in.At, n))
	if st.Alert.Firing() {
		e.counted(in)
		return
	}
	if len(st.Recent) < n {
		return
	}
	first, last := st.Recent[len(st.Recent)-n], st.Recent[len(st.Recent)-1]
	if e.Rule.Hours.Between(first, last) >= e.Rule.Window {
		return
	}
	a := e.start(last, int64(n))
	a.LastItem, a.LastKind = in.Item, in.Kind
}

// pruneWindow drops the items that no window with the newest item can
// hold, so that a state stays as small as the busiest window.
func (e *Eval) pruneWindow(ts []time.Time) []time.Time {
	newest := ts[len(ts)-1]
	drop := 0
	for drop < len(ts)-1 && e.Rule.Hours.Between(ts[drop], newest) >= e.Rule.Window {
		drop++
	}
	return ts[drop:]
}

// insertTime inserts t into the sorted times and keeps the latest n.
func insertTime(ts []time.Time, t time.Time, n int) []time.Time {
	i, _ := slices.BinarySearchFunc(ts, t, func(a, b time.Time) int { return a.Compare(b) })
	ts = slices.Insert(ts, i, t)
	if len(ts) > n {
		ts = slices.Delete(ts, 0, len(ts)-n)
	}
	return ts
}

// observeActivity moves the start of the silence to the item, and resolves
// a firing non_occurrence alert when the item is newer than the activity
// the alert was judged on: a late upload that shows the machine was active
// ends the alert.
func (e *Eval) observeActivity(in Input) {
	st := e.State
	if !in.At.After(st.Since) {
		return
	}
	st.Since = in.At
	if st.Alert.Firing() {
		e.resolve(in.At)
		st.Alert.LastItem, st.Alert.LastKind = in.Item, in.Kind
	}
}

// observeOpen remembers an unresolved event (once).
func (e *Eval) observeOpen(in Input) {
	st := e.State
	if slices.ContainsFunc(st.Open, func(o OpenEvent) bool { return o.ID == in.Item }) {
		return
	}
	i, _ := slices.BinarySearchFunc(st.Open, in.At, func(o OpenEvent, t time.Time) int { return o.At.Compare(t) })
	st.Open = slices.Insert(st.Open, i, OpenEvent{ID: in.Item, At: in.At})
	if len(st.Open) > maxOpen {
		st.Open = st.Open[:maxOpen]
	}
	if st.Alert.Firing() {
		e.counted(in)
	}
}

// resolveEvent forgets a resolved event; a firing non_resolution alert ends
// when no remaining event is overdue.
func (e *Eval) resolveEvent(in Input) {
	st := e.State
	i := slices.IndexFunc(st.Open, func(o OpenEvent) bool { return o.ID == in.Item })
	if i < 0 {
		return
	}
	st.Open = slices.Delete(st.Open, i, i+1)
	if st.Alert.Firing() && e.overdue(in.At) == 0 {
		e.resolve(in.At)
		st.Alert.LastItem, st.Alert.LastKind = in.Item, models.ObserverEvent
	}
}
