package vouchers

import (
	"strconv"
	"sync"
	"time"

	"github.com/vendrule/vendrule/models"
)

// A device validates a voucher and then, moments later, redeems it. The
// redeem decides on the row its validate read instead of reading it again,
// which saves it a round trip. That row may be stale, which is safe: an
// accepted redeem is written only if the voucher and its campaign are still
// the versions decided on (the spend group's UPDATE checks them), otherwise
// it is decided again under the row lock; a redeem that the old row would
// refuse reads afresh instead (never a refusal on an old row); and an
// earlier redeem of the same order is found by the redemptions' unique key,
// which sends the group to the row lock, where the stored answer is read.

// validatedRow is what a validate read, and when its read began.
type validatedRow struct {
	d      *device
	t      *target
	readAt time.Time
}

// validatedCache keeps the last validate's read per caller, device and
// code; a redeem takes it (once).
type validatedCache struct {
	mu       sync.Mutex
	m        map[string]validatedRow
	prunedAt time.Time
}

func validatedKey(sc models.Scope, deviceID, code string) string {
	return strconv.FormatInt(sc.GroupID, 10) + "\x00" + deviceID + "\x00" + code
}

// put keeps a validate's read for the redeem that follows it.
func (c *validatedCache) put(sc models.Scope, deviceID, code string, v validatedRow, ttl time.Duration) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m, c.prunedAt = map[string]validatedRow{}, now
	}
	if now.Sub(c.prunedAt) > ttl { // validates not followed by a redeem
		c.prunedAt = now
		for k, e := range c.m {
			if now.Sub(e.readAt) > ttl {
				delete(c.m, k)
			}
		}
	}
	c.m[validatedKey(sc, deviceID, code)] = v
}

// take returns and forgets the read of the caller's last validate of code,
// if it is recent and inside the caller's scope.
func (c *validatedCache) take(sc models.Scope, deviceID, code string, ttl time.Duration) (validatedRow, bool) {
	key := validatedKey(sc, deviceID, code)
	c.mu.Lock()
	v, ok := c.m[key]
	delete(c.m, key)
	c.mu.Unlock()
	ok = ok && time.Since(v.readAt) <= ttl && sc.Sees(v.t.V.UserGroup) && sc.Sees(v.d.UserGroup)
	return v, ok
}
