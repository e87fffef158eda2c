package rules

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
)

// The helper functions below are pure: they read only their arguments and
// look at the wall clock of the time they are given, so they follow that
// time's zone, including daylight saving time changes.

// hourOf returns the hour of the day of t, 0 to 23.
func hourOf(t time.Time) int { return t.Hour() }

// minuteOf returns the minute of the hour of t, 0 to 59.
func minuteOf(t time.Time) int { return t.Minute() }

// isoWeekday returns the ISO weekday of t: 1 is Monday, 7 is Sunday.
func isoWeekday(t time.Time) int {
	if d := t.Weekday(); d != time.Sunday {
		return int(d)
	}
	return 7
}

// dateOf returns the calendar date of t as "2006-01-02".
func dateOf(t time.Time) string { return t.Format(time.DateOnly) }

// daysBetween returns the number of calendar days from the date of from to
// the date of to, both read in the zone of to; it is negative when from is
// later.
func daysBetween(from, to time.Time) int {
	from = from.In(to.Location())
	a := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a) / (24 * time.Hour))
}

// parseClock parses a time of day "HH:MM" (00:00 to 24:00) into minutes
// since midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("time of day %q is not in the form HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time of day %q is out of range 00:00 to 24:00", s)
	}
	return h*60 + m, nil
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// between reports whether the time of day of t lies in [from, to). When to
// is earlier than from the range runs over midnight, so "22:00" to "02:00"
// holds from 22:00 until 01:59. An empty range (from equal to to) holds never.
func between(t time.Time, from, to string) (bool, error) {
	f, err := parseClock(from)
	if err != nil {
		return false, err
	}
	u, err := parseClock(to)
	if err != nil {
		return false, err
	}
	m := t.Hour()*60 + t.Minute()
	if f <= u {
		return f <= m && m < u, nil
	}
	return m >= f || m < u, nil
}

// helperOptions registers the helper functions with their signatures, so
// that the type checker rejects wrong arguments at compile time.
func helperOptions() []expr.Option {
	return []expr.Option{
		expr.Function("hour", timeFunc("hour", func(t time.Time) any { return hourOf(t) }),
			new(func(time.Time) int)),
		expr.Function("minute", timeFunc("minute", func(t time.Time) any { return minuteOf(t) }),
			new(func(time.Time) int)),
		expr.Function("weekday", timeFunc("weekday", func(t time.Time) any { return isoWeekday(t) }),
			new(func(time.Time) int)),
		expr.Function("date", timeFunc("date", func(t time.Time) any { return dateOf(t) }),
			new(func(time.Time) string)),
		expr.Function("daysSince", daysSinceFunc, new(func(time.Time, time.Time) int)),
		expr.Function("between", betweenFunc, new(func(time.Time, string, string) bool)),
	}
}

// timeFunc adapts a function of one time to expr's calling convention. The
// argument is checked because a value of unknown type (from extraData) passes
// the type checker.
func timeFunc(name string, f func(time.Time) any) func(...any) (any, error) {
	return func(args ...any) (any, error) {
		t, ok := args[0].(time.Time)
		if !ok {
			return nil, fmt.Errorf("%s: argument is %T, not a time", name, args[0])
		}
		return f(t), nil
	}
}

// daysSinceFunc is daysSince(from, to) for expr.
func daysSinceFunc(args ...any) (any, error) {
	from, ok1 := args[0].(time.Time)
	to, ok2 := args[1].(time.Time)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("daysSince: arguments must be times")
	}
	return daysBetween(from, to), nil
}

// betweenFunc is between(t, from, to) for expr.
func betweenFunc(args ...any) (any, error) {
	t, ok := args[0].(time.Time)
	from, ok1 := args[1].(string)
	to, ok2 := args[2].(string)
	if !ok || !ok1 || !ok2 {
		return nil, fmt.Errorf("between: arguments must be a time and two strings")
	}
	return between(t, from, to)
}
