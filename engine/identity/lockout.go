package identity

import (
	"context"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
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

// loginKeys are the two lock-out keys of a login, its username's and its
// client address's, and the client address itself.
type loginKeys struct{ user, addr, client string }

// keysOf returns the keys of a login as username from clientAddr.
func keysOf(username, clientAddr string) loginKeys {
	return loginKeys{user: "user:" + strings.ToLower(username), addr: "addr:" + clientAddr, client: clientAddr}
}

// failureRow is a failed or pending attempt counted against a key.
type failureRow struct {
	FailedAt time.Time
	Pending  bool
}

// beginAttempt counts an attempt against every key before its password is
// checked, and returns the ids of the rows it wrote; endAttempt settles them.
// Checking and counting happen under the keys' locks, so however many
// attempts arrive at once, at most MaxFailures per key are checked in any
// FailureWindow. Returns ERATELIMITED while a key is locked, or while
// MaxFailures attempts of a key are being checked.
func (s *Service) beginAttempt(ctx context.Context, keys loginKeys) ([]int64, error) {
	now := s.Now()
	var ids []int64
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := lockKeys(tx, keys.user, keys.addr); err != nil {
			return err
		}
		for _, k := range []string{keys.user, keys.addr} {
			if err := refuseLocked(tx, k, now); err != nil {
				return err
			}
		}
		return tx.Raw(`INSERT INTO login_failures (key, failed_at, pending, client)
			VALUES (?, ?, true, ?), (?, ?, true, ?) RETURNING id`,
			keys.user, now, keys.client, keys.addr, now, keys.client).Scan(&ids).Error
	})
	return ids, err
}

// refuseLocked returns ERATELIMITED when key is locked at now. Attempts still
// being checked count as failures; when only they make the lock, it ends as
// soon as they succeed, and the message says so.
func refuseLocked(tx *gorm.DB, key string, now time.Time) error {
	var rows []failureRow
	err := tx.Raw(`SELECT failed_at, pending FROM login_failures WHERE key = ? AND failed_at > ?`,
		key, now.Add(-FailureWindow-LockDuration)).Scan(&rows).Error
	if err != nil {
		return pg.MapError(err)
	}
	var failed, all []time.Time
	for _, r := range rows {
		all = append(all, r.FailedAt)
		if !r.Pending {
			failed = append(failed, r.FailedAt)
		}
	}
	if until, locked := lockedUntil(failed, now); locked {
		return models.RateLimited(until.Sub(now), "too many failed logins; try again after %s",
			until.UTC().Format(time.RFC3339))
	}
	if _, locked := lockedUntil(all, now); locked {
		return models.RateLimited(5*time.Second, "too many logins at once; try again in a few seconds")
	}
	return nil
}

// endAttempt settles the rows of an attempt: a failed one stays counted,
// a successful one is deleted with the username's earlier failures from the
// same client address (the user's own typos). Failures from elsewhere stay,
// so that a user's login does not give a guesser a fresh allowance, nor
// do attempts still being checked.
func (s *Service) endAttempt(ctx context.Context, ids []int64, ok bool, keys loginKeys) error {
	db := s.DB.WithContext(ctx)
	var err error
	if ok {
		err = db.Exec(`DELETE FROM login_failures WHERE id IN ? OR (key = ? AND client = ? AND NOT pending)`,
			ids, keys.user, keys.client).Error
	} else {
		err = db.Exec(`UPDATE login_failures SET pending = false WHERE id IN ?`, ids).Error
	}
	return pg.MapError(err)
}
