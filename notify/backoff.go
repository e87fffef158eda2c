package notify

import (
	"math/rand/v2"
	"time"
)

// Retry policy defaults.
const (
	DefaultMaxAttempts = 8
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffMax  = time.Hour
)

// Backoff is an exponential backoff with jitter: the n-th retry waits about
// Base·2ⁿ⁻¹, at most Max, spread by ±50% so that messages that failed
// together do not all come back together.
type Backoff struct {
	Base, Max time.Duration
	Jitter    func() float64 // in [0, 1); rand.Float64 when nil
}

// Delay returns the wait before the retry that follows attempt (1-based).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	j := rand.Float64
	if b.Jitter != nil {
		j = b.Jitter
	}
	return time.Duration(float64(d) * (0.5 + j()))
}
