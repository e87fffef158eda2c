package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/vendrule/vendrule/models/pg"
)

// ErrNotLeader is returned by Lease.IsLeader when another owner holds the
// lease.
var ErrNotLeader = errors.New("schedule: another replica holds the lease")

// Lease is a leader election over one row of scheduler_leases. It implements
// gocron's Elector.
type Lease struct {
	db    *pg.DB
	name  string
	owner string
	ttl   time.Duration
	log   *slog.Logger
	held  atomic.Bool
}

// NewLease returns the lease called name as seen by owner, who holds it for
// ttl after each successful IsLeader. Owners must be unique per process.
func NewLease(db *pg.DB, name, owner string, ttl time.Duration) *Lease {
	return &Lease{db: db, name: name, owner: owner, ttl: ttl, log: slog.Default()}
}

// acquireSQL takes the lease when it is missing, renews it when the caller
// owns it, and takes it over when it has expired; otherwise it writes
// nothing. ON CONFLICT locks the row and evaluates the WHERE on its newest
// version, so two callers racing for an expired lease cannot both win.
const acquireSQL = `
INSERT INTO scheduler_leases AS l (name, owner, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3))
ON CONFLICT (name) DO UPDATE
   SET owner = excluded.owner, expires_at = excluded.expires_at
 WHERE l.owner = excluded.owner OR l.expires_at < now()`

// IsLeader takes or renews the lease. It returns nil when the caller holds
// the lease for the next TTL, ErrNotLeader when another owner holds it, and
// the database's error when it cannot tell.
func (l *Lease) IsLeader(ctx context.Context) error {
	res, err := l.db.SQL.ExecContext(ctx, acquireSQL, l.name, l.owner, l.ttl.Seconds())
	if err != nil {
		l.set(false)
		return fmt.Errorf("schedule: lease %s: %w", l.name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		l.set(false)
		return fmt.Errorf("schedule: lease %s: %w", l.name, err)
	}
	l.set(n == 1)
	if n != 1 {
		return ErrNotLeader
	}
	return nil
}

// Release gives the lease up at once when the caller holds it, so that
// another replica need not wait for it to expire.
func (l *Lease) Release(ctx context.Context) error {
	_, err := l.db.SQL.ExecContext(ctx,
		`DELETE FROM scheduler_leases WHERE name = $1 AND owner = $2`, l.name, l.owner)
	if err != nil {
		return fmt.Errorf("schedule: release lease %s: %w", l.name, err)
	}
	if l.held.Swap(false) {
		l.log.Info("scheduler lease released", "lease", l.name, "owner", l.owner)
	}
	return nil
}

// Held reports whether the last IsLeader found the caller the leader.
func (l *Lease) Held() bool { return l.held.Load() }

// set records whether the lease is held and logs the changes.
func (l *Lease) set(held bool) {
	if l.held.Swap(held) == held {
		return
	}
	if held {
		l.log.Info("scheduler lease acquired", "lease", l.name, "owner", l.owner)
	} else {
		l.log.Info("scheduler lease lost", "lease", l.name, "owner", l.owner)
	}
}
