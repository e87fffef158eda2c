// Package fleet owns the rules of the fleet that go beyond storing rows:
// opening hours and how a machine inherits them from its parents.
package fleet

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/vendrule/vendrule/models"
)

// OpeningHour is one open interval on one day of the week, in the time zone
// of the machine's location. EndTime "00:00:00" means midnight at the end of
// the day.
type OpeningHour struct {
	Day       int    `json:"day"` // 1 = Monday … 7 = Sunday
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
}

// MaxOpeningHours bounds one set of hours.
const MaxOpeningHours = 70

var clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$`)

// ValidateHours checks a set of opening hours: day 1–7, times as HH:MM:SS,
// end after start (or 00:00:00 for midnight), no overlaps within a day.
func ValidateHours(hours []OpeningHour) error {
	if len(hours) > MaxOpeningHours {
		return models.Errorf(models.EINVALID, "at most %d opening hours", MaxOpeningHours)
	}
	for i, h := range hours {
		if err := validateHour(h); err != nil {
			return models.FieldError(fmt.Sprintf("[%d]", i), "%s", err.Error())
		}
	}
	return checkOverlaps(hours)
}

func validateHour(h OpeningHour) error {
	if h.Day < 1 || h.Day > 7 {
		return fmt.Errorf("day must be 1 (Monday) to 7 (Sunday)")
	}
	if !clockTime.MatchString(h.StartTime) {
		return fmt.Errorf("startTime must be HH:MM:SS")
	}
	if !clockTime.MatchString(h.EndTime) {
		return fmt.Errorf("endTime must be HH:MM:SS")
	}
	if h.EndTime != "00:00:00" && h.EndTime <= h.StartTime {
		return fmt.Errorf("endTime must be after startTime (00:00:00 means midnight)")
	}
	return nil
}

// seconds returns the interval as seconds since the start of the day.
func (h OpeningHour) seconds() (start, end int) {
	start = clockSeconds(h.StartTime)
	end = clockSeconds(h.EndTime)
	if end == 0 {
		end = 24 * 3600
	}
	return start, end
}

// clockSeconds reads a validated HH:MM:SS as seconds since midnight.
func clockSeconds(s string) int {
	if len(s) != 8 {
		return 0
	}
	n := func(a, b byte) int { return int(a-'0')*10 + int(b-'0') }
	return n(s[0], s[1])*3600 + n(s[3], s[4])*60 + n(s[6], s[7])
}

func checkOverlaps(hours []OpeningHour) error {
	sorted := append([]OpeningHour(nil), hours...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Day != sorted[j].Day {
			return sorted[i].Day < sorted[j].Day
		}
		return sorted[i].StartTime < sorted[j].StartTime
	})
	for i := 1; i < len(sorted); i++ {
		prev, cur := sorted[i-1], sorted[i]
		_, prevEnd := prev.seconds()
		curStart, _ := cur.seconds()
		if prev.Day == cur.Day && curStart < prevEnd {
			return models.Errorf(models.EINVALID, "opening hours overlap on day %d", cur.Day)
		}
	}
	return nil
}

// HourSet is the hours stored on one resource, and when they were set.
type HourSet struct {
	Resource   string        `json:"resource"`
	ResourceID int64         `json:"id"`
	Hours      []OpeningHour `json:"hours"`
	SetAt      time.Time     `json:"setAt"`
}

// Effective picks a machine's hours among the sets on the machine and its
// parents: the set written last wins, so setting hours on a location
// overrides its machines until one of them is set again. ok is false when no
// set applies: the machine is then always open.
func Effective(sets []HourSet) (HourSet, bool) {
	var best HourSet
	found := false
	for _, s := range sets {
		if !found || s.SetAt.After(best.SetAt) {
			best, found = s, true
		}
	}
	return best, found
}

// IsOpen reports whether hours, read in loc, include the instant t. Empty
// hours mean always open.
func IsOpen(hours []OpeningHour, loc *time.Location, t time.Time) bool {
	return Schedule{Hours: hours, Loc: loc}.Open(t)
}
