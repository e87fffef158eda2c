package identity

import (
	"sort"
	"time"
)

// Login lock-out policy: MaxFailures failures of one key (a username or a
// client address) within FailureWindow lock that key for LockDuration.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
	LockDuration  = 30 * time.Minute
)

// lockedUntil returns when the lock on a key ends, given the times of its
// recent failures, and whether it is locked at now.
func lockedUntil(failures []time.Time, now time.Time) (time.Time, bool) {
	ts := append([]time.Time(nil), failures...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	var until time.Time
	for i := MaxFailures - 1; i < len(ts); i++ {
		if ts[i].Sub(ts[i-MaxFailures+1]) <= FailureWindow {
			if end := ts[i].Add(LockDuration); end.After(until) {
				until = end
			}
		}
	}
	return until, now.Before(until)
}
