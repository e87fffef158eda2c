package printing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// job is a claimed PDF: the claim token proves, at every write, that the
// claim still holds and nothing printed has changed since.
type job struct {
	ID       int64
	Campaign int64
	Voucher  *string
	Claim    string
}

// errSuperseded ends a render whose claim was dropped: what it prints
// changed, or its lease ran out and another worker took the job.
var errSuperseded = errors.New("printing: the job was taken over or restarted")

// Run renders pending PDFs, one at a time, until none is left or ctx ends.
// The scheduler runs it every tick on one replica, and Kick on the replica
// where a PDF was asked for; claims keep them off each other's jobs.
func (s *Service) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		j, ok, err := s.claim(ctx)
		if err != nil || !ok {
			return err
		}
		if err := s.runJob(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// claimUnclaimed takes the oldest PDF that is generating and that no live
// claim holds; a claim whose lease ran out counts as none.
const claimUnclaimed = `UPDATE pdfs SET claim = gen_random_uuid(), claimed_until = now() + make_interval(secs => ?)
	WHERE id = (SELECT id FROM pdfs WHERE status = 'generating' AND (claimed_until IS NULL OR claimed_until < now())
		ORDER BY updated_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
	RETURNING id, campaign, voucher, claim`

func (s *Service) claim(ctx context.Context) (job, bool, error) {
	var js []job
	err := s.DB.WithContext(ctx).Raw(claimUnclaimed, s.Lease.Seconds()).Scan(&js).Error
	if err != nil || len(js) == 0 {
		return job{}, false, pg.MapError(err)
	}
	return js[0], true, nil
}

// runJob renders j into its chunks and publishes it. A render that cannot
// succeed (a logo or code that cannot be printed) marks the PDF failed; a
// superseded one is dropped; a storage error is returned and the job waits
// for its lease to run out.
func (s *Service) runJob(ctx context.Context, j job) error {
	res, err := s.render(ctx, j)
	switch {
	case err == nil:
		return s.publish(ctx, j, res)
	case errors.Is(err, errSuperseded):
		return s.dropChunks(ctx, j)
	case models.CodeOf(err) == models.EINVALID:
		s.Log.Warn("printing: PDF failed", "pdf", j.ID, "err", err)
		return s.fail(ctx, j, err)
	}
	return fmt.Errorf("printing: render PDF %d: %w", j.ID, err)
}

// render streams the PDF of j into pdf_chunks under j's claim.
func (s *Service) render(ctx context.Context, j job) (Result, error) {
	c, logo, err := s.loadCampaign(ctx, j.Campaign)
	if err != nil {
		return Result{}, err
	}
	w := &chunkWriter{ctx: ctx, s: s, j: j, buf: make([]byte, 0, s.ChunkSize)}
	res, err := Render(w, logo, s.cards(ctx, c, j.Voucher))
	if err == nil {
		err = w.flush()
	}
	return res, err
}

// publishIfClaimed marks the render of claim ready, unless the claim was
// dropped meanwhile.
const publishIfClaimed = `UPDATE pdfs SET status = 'ready', content = claim, claim = NULL, claimed_until = NULL,
		error = '', size = ?, pages = ?, vouchers = ?, ready_at = now(), updated_at = now()
	WHERE id = ? AND claim = ?`

// publish makes j's render the PDF served and removes the older ones, in one
// transaction that holds the row, so no newer render can start in between.
func (s *Service) publish(ctx context.Context, j job, res Result) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		r := tx.Exec(publishIfClaimed, res.Bytes, res.Pages, res.Vouchers, j.ID, j.Claim)
		if r.Error != nil {
			return pg.MapError(r.Error)
		}
		if r.RowsAffected == 0 {
			return pg.MapError(tx.Exec(`DELETE FROM pdf_chunks WHERE pdf = ? AND claim = ?`, j.ID, j.Claim).Error)
		}
		return pg.MapError(tx.Exec(`DELETE FROM pdf_chunks WHERE pdf = ? AND claim <> ?`, j.ID, j.Claim).Error)
	})
}

func (s *Service) fail(ctx context.Context, j job, cause error) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		err := tx.Exec(`UPDATE pdfs SET status = 'failed', error = ?, claim = NULL, claimed_until = NULL,
			updated_at = now() WHERE id = ? AND claim = ?`, cause.Error(), j.ID, j.Claim).Error
		if err != nil {
			return pg.MapError(err)
		}
		return pg.MapError(tx.Exec(`DELETE FROM pdf_chunks WHERE pdf = ? AND claim = ?`, j.ID, j.Claim).Error)
	})
}

func (s *Service) dropChunks(ctx context.Context, j job) error {
	err := s.DB.WithContext(ctx).Exec(`DELETE FROM pdf_chunks WHERE pdf = ? AND claim = ?`, j.ID, j.Claim).Error
	return pg.MapError(err)
}
