package vouchers

import (
	"strconv"
	"sync"
	"time"

	"github.com/vendrule/vendrule/models"
)

// A device validates a voucher and then redeems it, or redeems the same
// gift card again and again: most redeems ask for a voucher this process
// read moments ago. Such a redeem decides on that known row instead of
// reading it again, which saves it a round trip and the database a
// statement. The row may be stale, which is safe:
//   - an accepted redeem is written only if the voucher and its campaign
//     are still the versions decided on (the spend group's UPDATE checks
//     them), otherwise it is decided again under the row lock; and the
//     group decides on the row this process wrote last when that is newer
//     (newestRow);
//   - a redeem that the known row would refuse reads afresh: never a
//     refusal on a row read before the request began;
//   - an earlier redeem of the same order (a retry) keeps the spend group
//     from writing that voucher (its dup check), and under the row lock the
//     stored answer is found.

// knownRow is a voucher with its campaign as a read found it, and when
// that read began.
type knownRow struct {
	t      *target
	readAt time.Time
}

// knownRows keeps the last read of each voucher per caller group.
type knownRows struct {
	mu       sync.Mutex
	m        map[string]knownRow
	prunedAt time.Time
}

func knownKey(sc models.Scope, code string) string {
	return strconv.FormatInt(sc.GroupID, 10) + "\x00" + code
}

// put keeps what a read of code found.
func (c *knownRows) put(sc models.Scope, code string, r knownRow, ttl time.Duration) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m, c.prunedAt = map[string]knownRow{}, now
	}
	if now.Sub(c.prunedAt) > ttl {
		c.prunedAt = now
		for k, e := range c.m {
			if now.Sub(e.readAt) > ttl {
				delete(c.m, k)
			}
		}
	}
	c.m[knownKey(sc, code)] = r
}

// get returns the last read of code for the caller, if it is recent and
// inside the caller's scope.
func (c *knownRows) get(sc models.Scope, code string, ttl time.Duration) (knownRow, bool) {
	c.mu.Lock()
	r, ok := c.m[knownKey(sc, code)]
	c.mu.Unlock()
	return r, ok && time.Since(r.readAt) <= ttl && sc.Sees(r.t.V.UserGroup)
}

// forget drops the known row of code, after a change of this process that
// the row does not show (a lock).
func (c *knownRows) forget(sc models.Scope, code string) {
	c.mu.Lock()
	delete(c.m, knownKey(sc, code))
	c.mu.Unlock()
}

// knownFor returns the device deviceID and the known row of code, when the
// caches hold both for the caller and the row is younger than ttl: what a
// request may decide on without a read.
func (s *Service) knownFor(sc models.Scope, deviceID, code string, ttl time.Duration) (*device, knownRow, bool) {
	d := s.devices.get(deviceID, groupsOf(sc), time.Now())
	if d == nil {
		return nil, knownRow{}, false
	}
	k, ok := s.known.get(sc, code, ttl)
	return d, k, ok
}
