package identity

import (
	"slices"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
)

// keyLockClass is the first half of the advisory lock ids taken by lockKeys,
// so that they cannot meet the locks of other code.
const keyLockClass = 7_620_109

// lockKeys takes a transaction-scoped lock on each of keys (login lock-out and
// reset-email keys such as "user:alice"), in one order so that two callers
// cannot deadlock. A limit counted in rows (failed logins, reset requests)
// is checked and counted under these locks: counting without them, any
// number of concurrent callers would all see the count below the limit.
// The keys need no row of their own; two keys that hash alike only wait for
// each other.
func lockKeys(tx *gorm.DB, keys ...string) error {
	sorted := slices.Sorted(slices.Values(keys))
	for _, k := range sorted {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", keyLockClass, k).Error; err != nil {
			return pg.MapError(err)
		}
	}
	return nil
}
