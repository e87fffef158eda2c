// Package vouchers is the voucher engine: campaigns and their generation,
// vouchers with settings inherited from their campaign, and the validate,
// redeem, rollback and unlock of a voucher by a device. Every change of one
// redeem happens in one transaction, and the limit and balance checks are
// repeated in the WHERE of the UPDATE that spends them; that UPDATE matches
// only the row version the redeem was decided on (or runs under the row
// lock taken before deciding), so no interleaving of requests from any
// number of replicas can redeem past a limit or below a zero balance.
package vouchers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/vendrule/vendrule/engine/batch"
	"github.com/vendrule/vendrule/models/pg"
)

// Service runs the voucher engine.
type Service struct {
	DB  *pg.DB
	Now func() time.Time
	// NewCode makes a random code for a prefix; tests replace it to force
	// collisions.
	NewCode func(prefix string) (string, error)
	// AfterChunk, when set, is called inside a generation transaction after
	// each chunk of inserted vouchers; an error aborts the generation. It
	// lets tests inject a failure midway.
	AfterChunk func(campaign int64, done int) error
	// ChunkSize is the number of vouchers copied per step of a generation;
	// progress is published after each step.
	ChunkSize int
	Log       *slog.Logger
	// DeviceTTL is how long the reads reuse a machine's context (name,
	// tag, location, groups) before reading it again: a change to a
	// machine reaches the validates and redeems of this process within
	// this time. Vouchers, keys and scopes are not cached by it.
	DeviceTTL time.Duration
	// KnownRowTTL is how long a voucher this process read or wrote serves
	// the redeems that follow (known.go); their writes check it.
	KnownRowTTL time.Duration
	// ValidateTTL is how long such a known row answers a validate that it
	// finds valid: a change made elsewhere (a manager, another replica)
	// shows in validates within this time, in redeems at once.
	ValidateTTL time.Duration

	// beforeWrite, when set, runs before a group of redeems is written;
	// tests use it to change a voucher after the redeems read it.
	beforeWrite func()

	// spends writes the redeems of this process in groups (spend.go);
	// written and prunedAt belong to its Run, which runs one at a time.
	spends   batch.Group[*spend, spent]
	written  map[string]writtenRow
	prunedAt time.Time
	reads    batch.Group[readItem, readResult]
	devices  deviceCache
	// known keeps the vouchers read lately for the redeems that follow.
	known  knownRows
	jobs   sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a service over db with the real clock.
func New(db *pg.DB) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{DB: db, Now: time.Now, NewCode: NewCode, ChunkSize: 10_000, Log: slog.Default(), DeviceTTL: 2 * time.Second, KnownRowTTL: 5 * time.Second, ValidateTTL: time.Second, ctx: ctx,
		cancel: cancel}
	s.spends = batch.Group[*spend, spent]{Run: s.spendBatch, Max: maxGroup, Isolate: itemFault}
	s.reads = batch.Group[readItem, readResult]{Run: s.readBatch, Max: maxGroup, Isolate: itemFault}
	return s
}

// maxGroup is the largest group of requests read, or redeems written, by
// one statement.
const maxGroup = 256

// Wait blocks until the background generations started so far are done.
func (s *Service) Wait() { s.jobs.Wait() }

// Close stops background generations and waits for them. A generation cut
// short leaves its campaign "creating", and Resume redoes it at the next
// start.
func (s *Service) Close() {
	s.cancel()
	s.jobs.Wait()
}
