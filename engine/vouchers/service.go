// Package vouchers is the voucher engine: campaigns and their generation,
// vouchers with settings inherited from their campaign, and the validate,
// redeem, rollback and unlock of a voucher by a device. Every change of one
// redeem happens in one transaction that holds the voucher's row lock, and
// the limit and balance checks are repeated in the WHERE of the UPDATE that
// spends them, so no interleaving of requests from any number of replicas
// can redeem past a limit or below a zero balance.
package vouchers

import (
	"context"
	"log/slog"
	"sync"
	"time"

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
	// SerializeHot makes redeems of the same code in this process wait for
	// each other before they take the row lock, which avoids a PostgreSQL
	// lock convoy on a hot voucher.
	SerializeHot bool
	Log          *slog.Logger

	locks  keyedMutex
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
}

// Lock locks key and returns the function that unlocks it.
func (k *keyedMutex) Lock(key string) func() {
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
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
