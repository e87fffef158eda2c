package fleet

import (
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func TestIsOpenAcrossMidnight(t *testing.T) {
	ams := mustLoad(t, "Europe/Amsterdam")
	// Friday 22:00 to midnight, Saturday midnight to 02:00. 2026-06-05 is a Friday.
	hours := []OpeningHour{{5, "22:00:00", "00:00:00"}, {6, "00:00:00", "02:00:00"}}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, ams)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := map[string]bool{
		"2026-06-05 21:59:59": false,
		"2026-06-05 22:00:00": true,
		"2026-06-05 23:59:59": true,
		"2026-06-06 00:00:00": true,
		"2026-06-06 01:59:59": true,
		"2026-06-06 02:00:00": false,
		"2026-06-06 22:30:00": false, // Saturday evening
		"2026-06-12 23:00:00": true,  // the next Friday
		"2026-06-04 23:00:00": false, // Thursday
	}
	for s, want := range cases {
		if got := IsOpen(hours, ams, at(s)); got != want {
			t.Errorf("IsOpen at %s = %v, want %v", s, got, want)
		}
	}
	// The instant is read in the location's zone, whatever zone it comes in.
	if !IsOpen(hours, ams, time.Date(2026, 6, 5, 21, 30, 0, 0, time.UTC)) { // 23:30 CEST
		t.Errorf("UTC instant not read in Amsterdam time")
	}
	ny := mustLoad(t, "America/New_York")
	if IsOpen(hours, ny, time.Date(2026, 6, 5, 21, 30, 0, 0, time.UTC)) { // 17:30 EDT
		t.Errorf("UTC instant not read in New York time")
	}
}

func TestIsOpenSundayAndEmpty(t *testing.T) {
	ams := mustLoad(t, "Europe/Amsterdam")
	sunday := time.Date(2026, 6, 7, 12, 0, 0, 0, ams)
	if !IsOpen([]OpeningHour{{7, "10:00:00", "14:00:00"}}, ams, sunday) {
		t.Errorf("Sunday is day 7")
	}
	if IsOpen([]OpeningHour{{1, "10:00:00", "14:00:00"}}, ams, sunday) {
		t.Errorf("Sunday open on Monday's hours")
	}
	if !IsOpen(nil, ams, sunday) || !IsOpen([]OpeningHour{}, ams, sunday) {
		t.Errorf("no hours must mean always open")
	}
	if !IsOpen([]OpeningHour{{7, "00:00:00", "00:00:00"}}, ams, time.Date(2026, 6, 7, 23, 59, 59, 0, ams)) {
		t.Errorf("00:00:00–00:00:00 is the whole day")
	}
}

func TestIsOpenDaylightSaving(t *testing.T) {
	ams := mustLoad(t, "Europe/Amsterdam")
	// Sundays of the changes: 2026-03-29 (02:00 CET → 03:00 CEST) and
	// 2026-10-25 (03:00 CEST → 02:00 CET).
	day := []OpeningHour{{7, "09:00:00", "17:00:00"}}
	night := []OpeningHour{{7, "01:00:00", "04:00:00"}}
	cases := []struct {
		name  string
		hours []OpeningHour
		utc   time.Time
		want  bool
	}{
		// Spring: 07:30Z is 09:30 CEST (it would be 08:30 in CET).
		{"spring 09:30 CEST", day, time.Date(2026, 3, 29, 7, 30, 0, 0, time.UTC), true},
		{"spring 08:59 CEST", day, time.Date(2026, 3, 29, 6, 59, 0, 0, time.UTC), false},
		{"spring 16:59 CEST", day, time.Date(2026, 3, 29, 14, 59, 0, 0, time.UTC), true},
		{"spring 17:00 CEST", day, time.Date(2026, 3, 29, 15, 0, 0, 0, time.UTC), false},
		{"spring 00:59 CET", night, time.Date(2026, 3, 28, 23, 59, 0, 0, time.UTC), false},
		{"spring 01:30 CET", night, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), true},
		{"spring 03:30 CEST", night, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), true},
		{"spring 04:00 CEST", night, time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), false},
		// Autumn: 08:30Z is 09:30 CET (it would be 10:30 in CEST); 07:30Z is 08:30 CET.
		{"autumn 09:30 CET", day, time.Date(2026, 10, 25, 8, 30, 0, 0, time.UTC), true},
		{"autumn 08:30 CET", day, time.Date(2026, 10, 25, 7, 30, 0, 0, time.UTC), false},
		{"autumn 16:59 CET", day, time.Date(2026, 10, 25, 15, 59, 0, 0, time.UTC), true},
		{"autumn 17:00 CET", day, time.Date(2026, 10, 25, 16, 0, 0, 0, time.UTC), false},
		// 02:30 happens twice; both are within 01:00–04:00.
		{"autumn first 02:30 CEST", night, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), true},
		{"autumn second 02:30 CET", night, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},
		{"autumn 03:59 CET", night, time.Date(2026, 10, 25, 2, 59, 0, 0, time.UTC), true},
		{"autumn 04:00 CET", night, time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), false},
		{"autumn 00:30 CEST", night, time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC), false},
	}
	for _, c := range cases {
		if got := IsOpen(c.hours, ams, c.utc); got != c.want {
			t.Errorf("%s (%s = %s): IsOpen = %v, want %v", c.name, c.utc.Format(time.RFC3339),
				c.utc.In(ams).Format("Mon 15:04 MST"), got, c.want)
		}
	}
}

func TestValidateHours(t *testing.T) {
	good := [][]OpeningHour{
		nil,
		{},
		{{1, "09:00:00", "17:00:00"}},
		{{1, "18:00:00", "00:00:00"}},
		{{7, "00:00:00", "00:00:00"}},
		{{2, "09:00:00", "12:00:00"}, {2, "12:00:00", "14:00:00"}},
		{{2, "12:00:00", "14:00:00"}, {2, "09:00:00", "12:00:00"}}, // order does not matter
		{{1, "09:00:00", "17:00:00"}, {2, "09:00:00", "17:00:00"}},
		{{3, "23:59:58", "23:59:59"}},
	}
	for _, hs := range good {
		if err := ValidateHours(hs); err != nil {
			t.Errorf("ValidateHours(%v) = %v", hs, err)
		}
	}
	bad := map[string][]OpeningHour{
		"day 0":          {{0, "09:00:00", "17:00:00"}},
		"day 8":          {{8, "09:00:00", "17:00:00"}},
		"day -1":         {{-1, "09:00:00", "17:00:00"}},
		"25:00:00":       {{1, "09:00:00", "25:00:00"}},
		"24:00:00":       {{1, "09:00:00", "24:00:00"}},
		"9:00":           {{1, "9:00", "17:00:00"}},
		"09:00":          {{1, "09:00", "17:00:00"}},
		"09:00:00.5":     {{1, "09:00:00.5", "17:00:00"}},
		" 09:00:00":      {{1, " 09:00:00", "17:00:00"}},
		"09:61:00":       {{1, "09:61:00", "17:00:00"}},
		"09:00:61":       {{1, "09:00:61", "17:00:00"}},
		"end < start":    {{1, "17:00:00", "09:00:00"}},
		"end = start":    {{1, "09:00:00", "09:00:00"}},
		"overlap":        {{2, "09:00:00", "12:00:00"}, {2, "11:59:59", "14:00:00"}},
		"overlap sorted": {{2, "11:00:00", "14:00:00"}, {2, "09:00:00", "12:00:00"}},
		"overlap late":   {{3, "20:00:00", "00:00:00"}, {3, "23:00:00", "23:30:00"}},
		"inside":         {{4, "08:00:00", "20:00:00"}, {4, "10:00:00", "11:00:00"}},
		"whole day+":     {{4, "00:00:00", "00:00:00"}, {4, "10:00:00", "11:00:00"}},
	}
	for name, hs := range bad {
		err := ValidateHours(hs)
		if models.CodeOf(err) != models.EINVALID {
			t.Errorf("%s: ValidateHours = %v, want EINVALID", name, err)
		}
	}
	// The entry at fault is named.
	err := ValidateHours([]OpeningHour{{1, "09:00:00", "17:00:00"}, {9, "09:00:00", "17:00:00"}})
	if e, ok := err.(*models.Error); !ok || e.Fields["[1]"] == "" {
		t.Errorf("error %v does not name entry [1]", err)
	}
	many := make([]OpeningHour, MaxOpeningHours+1)
	for i := range many {
		many[i] = OpeningHour{i%7 + 1, "00:00:00", "00:00:01"}
	}
	if ValidateHours(many) == nil {
		t.Errorf("%d hours accepted", len(many))
	}
}

func TestEffective(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, ok := Effective(nil); ok {
		t.Errorf("no sets: ok")
	}
	sets := []HourSet{
		{Resource: "machine", ResourceID: 1, SetAt: t0.Add(time.Hour)},
		{Resource: "location", ResourceID: 2, SetAt: t0.Add(3 * time.Hour)},
		{Resource: "machinegroup", ResourceID: 3, SetAt: t0.Add(2 * time.Hour)},
		{Resource: "locationgroup", ResourceID: 4, SetAt: t0},
	}
	for i := range sets {
		// The answer does not depend on the order of the sets.
		rot := append(append([]HourSet(nil), sets[i:]...), sets[:i]...)
		best, ok := Effective(rot)
		if !ok || best.Resource != "location" || best.ResourceID != 2 {
			t.Errorf("rotation %d: %+v %v, want the location's", i, best, ok)
		}
	}
	best, ok := Effective(sets[:1])
	if !ok || best.Resource != "machine" {
		t.Errorf("one set: %+v %v", best, ok)
	}
}
