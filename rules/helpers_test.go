package rules

import (
	"testing"
	"time"
)

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

func TestIsoWeekday(t *testing.T) {
	// 2026-03-02 is a Monday.
	for day, want := range []int{1, 2, 3, 4, 5, 6, 7} {
		d := time.Date(2026, 3, 2+day, 12, 0, 0, 0, time.UTC)
		if got := isoWeekday(d); got != want {
			t.Errorf("isoWeekday(%s) = %d, want %d", d.Format("Mon 2006-01-02"), got, want)
		}
	}
}

func TestHelpersOnDSTDay(t *testing.T) {
	ams := amsterdam(t)
	// On Sunday 2026-03-29 the clocks in Amsterdam go from 02:00 CET to
	// 03:00 CEST. 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST.
	before := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC).In(ams)
	after := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC).In(ams)
	if h := hourOf(before); h != 1 {
		t.Errorf("hour before the change = %d, want 1", h)
	}
	if h := hourOf(after); h != 3 {
		t.Errorf("hour after the change = %d, want 3", h)
	}
	if m := minuteOf(after); m != 30 {
		t.Errorf("minute = %d, want 30", m)
	}
	if d := isoWeekday(after); d != 7 {
		t.Errorf("weekday = %d, want 7 (Sunday)", d)
	}
	if s := dateOf(after); s != "2026-03-29" {
		t.Errorf("date = %q", s)
	}
	// The hour from 02:00 to 03:00 does not exist that day.
	for _, tm := range []time.Time{before, after} {
		if ok, _ := between(tm, "02:00", "03:00"); ok {
			t.Errorf("between(%s, 02:00, 03:00) = true on a day without that hour", tm)
		}
	}
	if ok, _ := between(after, "03:00", "04:00"); !ok {
		t.Errorf("between(%s, 03:00, 04:00) = false", after)
	}
	// 23:30 local on the day before is a calendar day earlier although
	// fewer than 24 hours (23 h on this short day) separate the times.
	eve := time.Date(2026, 3, 28, 23, 30, 0, 0, ams)
	if n := daysBetween(eve, after); n != 1 {
		t.Errorf("daysBetween = %d, want 1", n)
	}
	next := time.Date(2026, 3, 30, 0, 15, 0, 0, ams)
	if n := daysBetween(before, next); n != 1 {
		t.Errorf("daysBetween over the 23-hour day = %d, want 1", n)
	}
}

func TestBetween(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	tests := []struct {
		t        time.Time
		from, to string
		want     bool
	}{
		{at(7, 0), "07:00", "10:00", true},
		{at(9, 59), "07:00", "10:00", true},
		{at(10, 0), "07:00", "10:00", false},
		{at(6, 59), "07:00", "10:00", false},
		{at(23, 0), "22:00", "02:00", true},
		{at(0, 0), "22:00", "02:00", true},
		{at(1, 59), "22:00", "02:00", true},
		{at(2, 0), "22:00", "02:00", false},
		{at(12, 0), "22:00", "02:00", false},
		{at(23, 59), "00:00", "24:00", true},
		{at(8, 0), "08:00", "08:00", false},
	}
	for _, tt := range tests {
		got, err := between(tt.t, tt.from, tt.to)
		if err != nil || got != tt.want {
			t.Errorf("between(%s, %s, %s) = %v, %v; want %v", tt.t.Format("15:04"), tt.from, tt.to, got, err, tt.want)
		}
	}
}

func TestParseClockRejects(t *testing.T) {
	for _, s := range []string{"7:00", "07:60", "24:01", "25:00", "0700", "ab:cd", ""} {
		if _, err := parseClock(s); err == nil {
			t.Errorf("parseClock(%q) succeeded", s)
		}
	}
}

func TestClampValue(t *testing.T) {
	nan := 0.0
	nan = nan / nan
	tests := []struct {
		v    float64
		max  int64
		want int64
	}{
		{149.5, 1000, 150},
		{149.49, 1000, 149},
		{-3, 1000, 0},
		{5000, 1000, 1000},
		{nan, 1000, 0},
		{1e300, 1000, 1000},
		{10, -1, 0},
	}
	for _, tt := range tests {
		if got := ClampValue(tt.v, tt.max); got != tt.want {
			t.Errorf("ClampValue(%v, %d) = %d, want %d", tt.v, tt.max, got, tt.want)
		}
	}
}
