package fleet

import (
	"time"
)

// maxScanDays bounds the walks over opening hours, so that no set of hours
// can make them loop for ever (ten years of days).
const maxScanDays = 3660

// Schedule is when a machine is open: its effective opening hours read in
// its location's time zone. A schedule without hours is always open, and
// then open time is wall time.
type Schedule struct {
	Hours []OpeningHour
	Loc   *time.Location
}

// AlwaysOpen reports whether s counts every instant.
func (s Schedule) AlwaysOpen() bool { return len(s.Hours) == 0 }

func (s Schedule) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// span is one open interval [from, to) in absolute time.
type span struct{ from, to time.Time }

// daySpans returns the open intervals of the local calendar day that starts
// at midnight, in order. Times are built with time.Date, so a day on which
// the clocks change is 23 or 25 hours long and an interval over the change
// is as long as it really is.
func (s Schedule) daySpans(midnight time.Time) []span {
	day := int(midnight.Weekday())
	if day == 0 {
		day = 7
	}
	y, m, d := midnight.Date()
	var out []span
	for _, h := range s.Hours {
		if h.Day != day {
			continue
		}
		from := time.Date(y, m, d, 0, 0, clockSeconds(h.StartTime), 0, s.loc())
		to := time.Date(y, m, d+1, 0, 0, 0, 0, s.loc())
		if h.EndTime != "00:00:00" {
			to = time.Date(y, m, d, 0, 0, clockSeconds(h.EndTime), 0, s.loc())
		}
		out = append(out, span{from, to})
	}
	sortSpans(out)
	return out
}

func sortSpans(ss []span) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j].from.Before(ss[j-1].from); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// Open reports whether s counts the instant t as open.
func (s Schedule) Open(t time.Time) bool {
	if s.AlwaysOpen() {
		return true
	}
	for _, sp := range s.daySpans(s.midnightOf(t)) {
		if !t.Before(sp.from) && t.Before(sp.to) {
			return true
		}
	}
	return false
}

// midnightOf returns the start of the local day of t.
func (s Schedule) midnightOf(t time.Time) time.Time {
	y, m, d := t.In(s.loc()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.loc())
}

// nextMidnight returns the start of the local day after the one starting at
// midnight.
func (s Schedule) nextMidnight(midnight time.Time) time.Time {
	y, m, d := midnight.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, s.loc())
}

func (s Schedule) prevMidnight(midnight time.Time) time.Time {
	y, m, d := midnight.Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, s.loc())
}

// Between returns how long the machine is open in [a, b); zero when b is
// not after a.
func (s Schedule) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if s.AlwaysOpen() {
		return b.Sub(a)
	}
	var total time.Duration
	mid := s.midnightOf(a)
	for i := 0; i < maxScanDays && mid.Before(b); i++ {
		for _, sp := range s.daySpans(mid) {
			total += overlap(sp, a, b)
		}
		mid = s.nextMidnight(mid)
	}
	return total
}

func overlap(sp span, a, b time.Time) time.Duration {
	from, to := Later(sp.from, a), Earlier(sp.to, b)
	if !to.After(from) {
		return 0
	}
	return to.Sub(from)
}

// Add returns the earliest instant u at or after t such that the machine is
// open for d in [t, u). Adding zero returns t. When the hours never open
// again within the scan limit, the result lies far in the future.
func (s Schedule) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	if s.AlwaysOpen() {
		return t.Add(d)
	}
	left := d
	mid := s.midnightOf(t)
	for i := 0; i < maxScanDays; i++ {
		for _, sp := range s.daySpans(mid) {
			from := Later(sp.from, t)
			if !sp.to.After(from) {
				continue
			}
			open := sp.to.Sub(from)
			if open >= left {
				return from.Add(left)
			}
			left -= open
		}
		mid = s.nextMidnight(mid)
	}
	return mid
}

// Sub returns the latest instant u at or before t such that the machine is
// open for d in [u, t). Subtracting zero returns t.
func (s Schedule) Sub(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	if s.AlwaysOpen() {
		return t.Add(-d)
	}
	left := d
	mid := s.midnightOf(t)
	for i := 0; i < maxScanDays; i++ {
		spans := s.daySpans(mid)
		for j := len(spans) - 1; j >= 0; j-- {
			sp := spans[j]
			to := Earlier(sp.to, t)
			if !to.After(sp.from) {
				continue
			}
			open := to.Sub(sp.from)
			if open >= left {
				return to.Add(-left)
			}
			left -= open
		}
		mid = s.prevMidnight(mid)
	}
	return mid
}

// Later returns the later of a and b.
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Earlier returns the earlier of a and b.
func Earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
