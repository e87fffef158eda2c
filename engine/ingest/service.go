// Package ingest stores what machines report: events (logs) and sales
// (revenue transactions with their payments). Batches are validated whole,
// stored with multi-row inserts that skip items already stored for the same
// (machine, remote), and handed to an optional hook in the same transaction,
// where the alert engine will evaluate observers.
package ingest

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Service ingests events and sales.
type Service struct {
	DB  *pg.DB
	Now func() time.Time

	// OnStored, when set, is called inside the storing transaction with the
	// items that were new (duplicates are left out) and the events they
	// resolved. An error rolls the whole batch back.
	OnStored func(ctx context.Context, tx *gorm.DB, b *Batch) error

	// Budget is how long one batch may take, its observers included;
	// DefaultBudget when zero. Each evaluation has its own limits (see
	// rules.Limits), but a thousand items times many observers add up.
	Budget time.Duration
}

// DefaultBudget is the time budget of a batch when Service.Budget is zero.
const DefaultBudget = 10 * time.Second

// budget returns the time budget of one batch.
func (s *Service) budget() time.Duration {
	if s.Budget > 0 {
		return s.Budget
	}
	return DefaultBudget
}

// Batch is what one ingestion request stored.
type Batch struct {
	Scope        models.Scope
	Events       []models.Event              // new events, with ids
	Resolved     []Resolution                // events resolved by this batch, new or earlier
	Transactions []models.RevenueTransaction // new sales, with ids and payments
}

// Resolution records that an open event was resolved by a later event of
// the same code on the same machine.
type Resolution struct {
	Event      int64     `json:"event"`
	Machine    int64     `json:"machine"`
	Code       string    `json:"code"`
	ResolvedAt time.Time `json:"resolvedAt"`
	ResolvedBy int64     `json:"resolvedBy"`
}

// Result is the answer to an ingestion request. Re-uploading the same items
// stores nothing and answers Stored 0.
type Result struct {
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
}

// checkSize refuses empty batches and batches over models.MaxBatch.
func checkSize(n int) error {
	switch {
	case n == 0:
		return models.Errorf(models.EINVALID, "send one item or an array of 1 to %d items", models.MaxBatch)
	case n > models.MaxBatch:
		return models.Errorf(models.EINVALID, "a batch holds at most %d items, got %d", models.MaxBatch, n)
	}
	return nil
}

// stored calls the hook, if any, when the batch stored or resolved anything.
func (s *Service) stored(ctx context.Context, tx *gorm.DB, b *Batch) error {
	if s.OnStored == nil || len(b.Events)+len(b.Resolved)+len(b.Transactions) == 0 {
		return nil
	}
	return s.OnStored(ctx, tx, b)
}
