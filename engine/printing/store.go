package printing

import (
	"context"
	"iter"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// loadCampaign reads campaign id and decodes its logo, if any.
func (s *Service) loadCampaign(ctx context.Context, id int64) (*models.Campaign, *Logo, error) {
	var c models.Campaign
	if err := s.DB.WithContext(ctx).Table("campaigns").Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, nil, pg.MapError(err)
	}
	if c.VoucherLogoImg == nil {
		return &c, nil, nil
	}
	var data []byte
	err := s.DB.WithContext(ctx).Raw(`SELECT data FROM images WHERE id = ?`, *c.VoucherLogoImg).Row().Scan(&data)
	if err != nil {
		return nil, nil, pg.MapError(err)
	}
	logo, err := DecodeLogo(data)
	return &c, logo, err
}

// printedColumns are the voucher columns Card reads.
const printedColumns = `code, value, value_type, expires_on, text1, text2, text3, text4, style`

// cards yields what the vouchers print: voucher, or, when nil, every active
// voucher of campaign c in the order of their codes. One query streams them
// row by row, so the memory does not grow with the campaign.
func (s *Service) cards(ctx context.Context, c *models.Campaign, voucher *string) iter.Seq2[Voucher, error] {
	return func(yield func(Voucher, error) bool) {
		q := s.DB.WithContext(ctx).Raw(`SELECT `+printedColumns+` FROM vouchers
			WHERE campaign = ? AND status = 'active' ORDER BY code`, c.ID)
		if voucher != nil {
			q = s.DB.WithContext(ctx).Raw(`SELECT `+printedColumns+` FROM vouchers WHERE id = ?`, *voucher)
		}
		rows, err := q.Rows()
		if err != nil {
			yield(Voucher{}, pg.MapError(err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var v models.Voucher
			err := rows.Scan(&v.Code, &v.Value, &v.ValueType, &v.ExpiresOn, &v.Text1, &v.Text2, &v.Text3, &v.Text4,
				&v.Style)
			if err != nil {
				yield(Voucher{}, pg.MapError(err))
				return
			}
			if !yield(Card(c, &v), nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Voucher{}, pg.MapError(err))
		}
	}
}

// chunkWriter stores what is written to it in pdf_chunks, ChunkSize bytes a
// row, under its job's claim.
type chunkWriter struct {
	ctx context.Context
	s   *Service
	j   job
	buf []byte
	seq int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := cap(w.buf) - len(w.buf)
		take := min(room, len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// insertWhileClaimed stores one chunk and renews the lease, only while the
// claim holds.
const insertWhileClaimed = `WITH lease AS (
		UPDATE pdfs SET claimed_until = now() + make_interval(secs => ?) WHERE id = ? AND claim = ? RETURNING id)
	INSERT INTO pdf_chunks (pdf, claim, seq, data) SELECT id, ?, ?, ? FROM lease`

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	r := w.s.DB.WithContext(w.ctx).Exec(insertWhileClaimed, w.s.Lease.Seconds(), w.j.ID, w.j.Claim, w.j.Claim,
		w.seq, w.buf)
	if r.Error != nil {
		return pg.MapError(r.Error)
	}
	if r.RowsAffected == 0 {
		return errSuperseded
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}
