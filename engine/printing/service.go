// Package printing makes printable PDFs of vouchers: one per voucher and one
// sheet per campaign, A4 with PerPage vouchers a page and cut marks, each
// voucher with its code as a QR code and as text, its value, validity, texts
// and the campaign's logo.
//
// Rendering (Render, Card) is pure. The PDFs are durable jobs in PostgreSQL
// (table pdfs, migration 00015): a request or a change to what is printed
// puts a PDF in "generating"; Run claims one at a time with FOR UPDATE SKIP
// LOCKED and a lease, streams the render into pdf_chunks and marks it
// "ready" (or "failed") only if nothing changed meanwhile. The bytes live in
// the database so that every replica serves every PDF. Triggers restart a
// PDF when its voucher or campaign changes (docs/printing.md).
package printing

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/vendrule/vendrule/models/pg"
)

// PDF statuses, as the API shows them.
const (
	StatusEmpty      = "empty"
	StatusGenerating = "generating"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// Service makes, stores and serves the PDFs, and stores the logo images.
type Service struct {
	DB  *pg.DB
	Log *slog.Logger
	// Lease is how long a claim on a PDF job holds without news from its
	// worker; each stored chunk renews it. A replica that dies mid-render
	// leaves the job to the next worker once it runs out.
	Lease time.Duration
	// ChunkSize is the size of the pieces a PDF is stored in.
	ChunkSize int
	// Poll is how often the background worker looks for PDFs that a
	// change to a campaign or voucher restarted (database triggers do
	// that, so no request kicks it); one indexed query when there are none.
	Poll time.Duration

	kick   chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a service over db and starts its background worker, which
// runs the pending jobs whenever Kick is called and every Poll; Close stops
// it.
func New(db *pg.DB) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{DB: db, Log: slog.Default(), Lease: 5 * time.Minute, ChunkSize: 1 << 20, Poll: 2 * time.Second,
		kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
	s.wg.Go(s.worker)
	return s
}

// Kick makes the background worker look for pending jobs now, so that a
// user who asked for a PDF does not wait for the scheduler's next tick.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default: // a run is due already
	}
}

func (s *Service) worker() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		case <-time.After(s.Poll):
		}
		if err := s.Run(s.ctx); err != nil && s.ctx.Err() == nil {
			s.Log.Error("printing: run", "err", err)
		}
	}
}

// Close stops the background worker and waits for it. A render cut short
// keeps its job "generating", and its lease runs out for another worker.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}
