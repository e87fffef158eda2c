package vouchers

import (
	"time"

	"github.com/vendrule/vendrule/models"
)

// PeriodStart returns the start, in loc, of the reset period that holds t:
// midnight of its day, of its week's Monday, or of its month's first day.
// It returns nil for models.ResetNever. Midnight is computed on the wall
// clock, so days across a DST change are 23 or 25 hours long.
func PeriodStart(t time.Time, freq string, loc *time.Location) *time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	var start time.Time
	switch freq {
	case models.ResetDay:
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case models.ResetWeek:
		offset := (int(t.Weekday()) + 6) % 7 // Monday = 0
		start = time.Date(y, m, d-offset, 0, 0, 0, 0, loc)
	case models.ResetMonth:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	default:
		return nil
	}
	return &start
}

// Counters are a voucher's per-period counters.
type Counters struct {
	RedemptionCount int64
	AmountRedeemed  int64
	PeriodStart     *time.Time // nil when the voucher never resets or was never used
	Reset           bool       // the counters were reset for a new period
}

// CurrentCounters returns the counters as they stand at now: zero when now
// lies in a later period than the stored one. It is the lazy reset: correct
// whether or not any scheduled job ran.
func CurrentCounters(v *models.Voucher, freq string, loc *time.Location, now time.Time) Counters {
	c := Counters{RedemptionCount: v.RedemptionCount, AmountRedeemed: v.AmountRedeemed, PeriodStart: v.PeriodStart}
	ps := PeriodStart(now, freq, loc)
	if ps == nil {
		return c
	}
	if v.PeriodStart != nil && ps.After(*v.PeriodStart) {
		c.RedemptionCount, c.AmountRedeemed, c.Reset = 0, 0, true
	}
	c.PeriodStart = ps
	return c
}

// Expired reports whether now is past the end of the day expiresOn
// (YYYY-MM-DD) in loc.
func Expired(expiresOn *string, loc *time.Location, now time.Time) bool {
	if expiresOn == nil || *expiresOn == "" {
		return false
	}
	d, err := time.ParseInLocation(time.DateOnly, *expiresOn, loc)
	if err != nil {
		return false
	}
	end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	return !now.Before(end)
}
