package printing

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Status is where a PDF stands, in the seed's words.
type Status struct {
	Status string `json:"pdfStatus"`
	URL    string `json:"pdfUrl"`
	Error  string `json:"error,omitempty"`
}

// Owner names a PDF: a campaign's sheet (Voucher "") or one voucher's.
type Owner struct {
	Campaign int64
	Voucher  string
}

// Path is where the PDF of o is downloaded.
func (o Owner) Path() string {
	if o.Voucher != "" {
		return "/api/v1/vouchers/" + o.Voucher + "/pdf"
	}
	return "/api/v1/campaigns/" + strconv.FormatInt(o.Campaign, 10) + "/pdf"
}

// CampaignOwner returns the owner of campaign id's sheet. Returns
// ENOTFOUND, also for a campaign outside sc.
func (s *Service) CampaignOwner(ctx context.Context, sc models.Scope, id int64) (Owner, error) {
	var n int64
	err := s.DB.WithContext(ctx).Table("campaigns").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Count(&n).Error
	if err == nil && n == 0 {
		err = models.Errorf(models.ENOTFOUND, "campaign %d not found", id)
	}
	return Owner{Campaign: id}, pg.MapError(err)
}

// VoucherOwner returns the owner of voucher id's PDF. Returns ENOTFOUND,
// also for an id that is not a UUID or a voucher outside sc.
func (s *Service) VoucherOwner(ctx context.Context, sc models.Scope, id string) (Owner, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Owner{}, models.Errorf(models.ENOTFOUND, "voucher not found")
	}
	var campaigns []int64
	err := s.DB.WithContext(ctx).Table("vouchers").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Pluck("campaign", &campaigns).Error
	if err != nil {
		return Owner{}, pg.MapError(err)
	}
	if len(campaigns) == 0 {
		return Owner{}, models.Errorf(models.ENOTFOUND, "voucher not found")
	}
	return Owner{Campaign: campaigns[0], Voucher: id}, nil
}

// Request asks for the PDF of o to be made again from what is stored now,
// and kicks the worker. Returns ECONFLICT while the campaign's vouchers are
// being generated.
func (s *Service) Request(ctx context.Context, o Owner) (Status, error) {
	var status string
	err := s.DB.WithContext(ctx).Raw(`SELECT status FROM campaigns WHERE id = ?`, o.Campaign).Row().Scan(&status)
	if err != nil {
		return Status{}, pg.MapError(err)
	}
	if status == models.StatusCreating || status == models.StatusFailed {
		return Status{}, models.Errorf(models.ECONFLICT, "campaign is %s; its vouchers cannot be printed yet", status)
	}
	conflict := `(campaign) WHERE voucher IS NULL`
	if o.Voucher != "" {
		conflict = `(voucher) WHERE voucher IS NOT NULL`
	}
	err = s.DB.WithContext(ctx).Exec(`INSERT INTO pdfs (campaign, voucher) VALUES (?, ?)
		ON CONFLICT `+conflict+` DO UPDATE SET status = 'generating', claim = NULL, claimed_until = NULL,
			error = '', updated_at = now()`, o.Campaign, nullable(o.Voucher)).Error
	if err != nil {
		return Status{}, pg.MapError(err)
	}
	s.Kick()
	return Status{Status: StatusGenerating}, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// pdfRow is the stored state of one PDF.
type pdfRow struct {
	ID      int64
	Status  string
	Content *string
	Error   string
	Size    int64
}

func (s *Service) row(tx *gorm.DB, o Owner) (pdfRow, bool, error) {
	q := tx.Table("pdfs").Where("campaign = ? AND voucher IS NULL", o.Campaign)
	if o.Voucher != "" {
		q = tx.Table("pdfs").Where("voucher = ?", o.Voucher)
	}
	var rs []pdfRow
	err := q.Select("id, status, content, error, size").Find(&rs).Error
	if err != nil || len(rs) == 0 {
		return pdfRow{}, false, pg.MapError(err)
	}
	return rs[0], true, nil
}

// Status returns where the PDF of o stands.
func (s *Service) Status(ctx context.Context, o Owner) (Status, error) {
	r, found, err := s.row(s.DB.WithContext(ctx), o)
	if err != nil || !found {
		return Status{Status: StatusEmpty}, err
	}
	st := Status{Status: r.Status, Error: r.Error}
	if r.Status == StatusReady {
		st.URL = o.Path()
	}
	return st, nil
}

// Download writes the last PDF made for o to the writer that open returns,
// given its size: while a new one is being made, or after it failed, the
// previous one is served, and the status says it is not current. It reads
// the PDF in one snapshot, so a new render finishing meanwhile cannot cut it
// short. Returns ENOTFOUND when none was asked for and ECONFLICT until the
// first one is ready.
func (s *Service) Download(ctx context.Context, o Owner, open func(size int64) io.Writer) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, found, err := s.row(tx, o)
		switch {
		case err != nil:
			return err
		case !found:
			return models.Errorf(models.ENOTFOUND, "no PDF was asked for; POST %s makes one", o.Path())
		case r.Content == nil && r.Status == StatusFailed:
			return models.Errorf(models.ECONFLICT, "the PDF failed: %s", r.Error)
		case r.Content == nil:
			return models.Errorf(models.ECONFLICT, "the PDF is %s", r.Status)
		}
		return copyChunks(tx, r, open(r.Size))
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

func copyChunks(tx *gorm.DB, r pdfRow, w io.Writer) error {
	rows, err := tx.Raw(`SELECT data FROM pdf_chunks WHERE pdf = ? AND claim = ? ORDER BY seq`, r.ID, *r.Content).Rows()
	if err != nil {
		return pg.MapError(err)
	}
	defer rows.Close()
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return pg.MapError(err)
		}
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("printing: send PDF: %w", err)
		}
	}
	return pg.MapError(rows.Err())
}
