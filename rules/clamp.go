package rules

import "math"

// ClampValue turns a voucher value computed by a KindValue expression into
// whole cents: v is rounded to the nearest cent (halves away from zero) and
// clamped to [0, max]. NaN gives 0, +Inf gives max, and a negative max
// gives 0.
func ClampValue(v float64, max int64) int64 {
	if math.IsNaN(v) || max <= 0 {
		return 0
	}
	r := math.Round(v)
	if r <= 0 {
		return 0
	}
	if r >= float64(max) {
		return max
	}
	return int64(r)
}
