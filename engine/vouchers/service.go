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

	"github.com/vendrule/vendrule/models"
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
	// SerializeHot makes redeems of the same code in this process queue on
	// a keyed mutex between their read and their write, each handing the
	// row it wrote to the next: a hot voucher is written by one statement
	// at a time from this process, with no PostgreSQL lock convoy and no
	// conflicts between its own redeems.
	SerializeHot bool
	Log          *slog.Logger

	// beforeWrite, when set, runs between a redeem's read and its write;
	// tests use it to change the voucher in between.
	beforeWrite func()

	locks  keyedMutex
	logs   logGroup
	jobs   sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a service over db with the real clock.
func New(db *pg.DB) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{DB: db, Now: time.Now, NewCode: NewCode, ChunkSize: 10_000, SerializeHot: true,
		Log: slog.Default(), ctx: ctx, cancel: cancel}
}

// Wait blocks until the background generations started so far are done.
func (s *Service) Wait() { s.jobs.Wait() }

// Close stops background generations and waits for them. A generation cut
// short leaves its campaign "creating", and Resume redoes it at the next
// start.
func (s *Service) Close() {
	s.cancel()
	s.jobs.Wait()
}

// keyedMutex is a set of mutexes by key, each kept only while in use.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
	// last is the voucher row as this process's last redeem of the key
	// wrote it, kept while redeems queue on the key (guarded by mu).
	last *models.Voucher
	// lastVersion is the xmin of last.
	lastVersion uint32
}

// Lock locks key and returns its entry and the function that unlocks it.
func (k *keyedMutex) Lock(key string) (*keyedEntry, func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return e, func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
