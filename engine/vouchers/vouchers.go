package vouchers

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// CreateVouchers adds in.Count vouchers (one with in.Code, if set) to a
// campaign, all or none, and returns the first one, nil when there are
// more (CreateVoucherBatch answers their codes). Settings left nil inherit
// the campaign's. Returns EINVALID, EEXPRESSION, ECONFLICT (code taken) and
// ENOTFOUND is reported as an EINVALID campaign field.
func (s *Service) CreateVouchers(ctx context.Context, sc models.Scope, in *models.VoucherInput) (*models.VoucherView, error) {
	tmpl, p, err := s.newVoucherTemplate(ctx, sc, in)
	if err != nil {
		return nil, err
	}
	if in.Count > 1 {
		_, err := s.insertBatch(ctx, tmpl, p, in.Count)
		return nil, err
	}
	return s.createOne(ctx, sc, tmpl, p, in.Code == "")
}

// CreateVoucherBatch is CreateVouchers answering the codes of all the
// vouchers it created, sorted: a manager who asks for many vouchers needs
// their codes to hand them out. Returns the errors of CreateVouchers.
func (s *Service) CreateVoucherBatch(ctx context.Context, sc models.Scope, in *models.VoucherInput) ([]string, error) {
	tmpl, p, err := s.newVoucherTemplate(ctx, sc, in)
	if err != nil {
		return nil, err
	}
	if in.Count > 1 {
		return s.insertBatch(ctx, tmpl, p, in.Count)
	}
	v, err := s.createOne(ctx, sc, tmpl, p, in.Code == "")
	if err != nil {
		return nil, err
	}
	return []string{v.Code}, nil
}

// newVoucherTemplate checks in against its campaign and returns the voucher
// all the new ones are made like, and the campaign's code pattern for their
// random codes (with the template's prefix).
func (s *Service) newVoucherTemplate(ctx context.Context, sc models.Scope, in *models.VoucherInput) (*models.Voucher, models.CodePattern, error) {
	if err := in.Validate(); err != nil {
		return nil, models.CodePattern{}, err
	}
	c, err := s.Campaign(ctx, sc, in.Campaign)
	if models.CodeOf(err) == models.ENOTFOUND {
		return nil, models.CodePattern{}, models.FieldError("campaign", "refers to an unknown campaign")
	}
	if err != nil {
		return nil, models.CodePattern{}, err
	}
	if err := checkVoucherInput(c, in); err != nil {
		return nil, models.CodePattern{}, err
	}
	tmpl := voucherTemplate(c, in)
	p := c.CodePattern()
	p.Prefix = tmpl.Prefix
	return tmpl, p, nil
}

// insertBatch inserts n vouchers like tmpl in one transaction and returns
// their codes: the rows of the campaign this transaction wrote (xmin), since
// the staging table that held the codes is gone with the commit.
func (s *Service) insertBatch(ctx context.Context, tmpl *models.Voucher, p models.CodePattern, n int) ([]string, error) {
	codes := make([]string, 0, n)
	err := s.pgxTx(ctx, func(tx pgx.Tx) error {
		if err := s.insertDrawn(ctx, tx, tmpl, n, s.drawer(p), nil); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code FROM vouchers
			WHERE campaign = $1 AND xmin = pg_current_xact_id()::xid ORDER BY code`, tmpl.Campaign)
		if err != nil {
			return err
		}
		codes, err = pgx.AppendRows(codes, rows, pgx.RowTo[string])
		return err
	})
	return codes, err
}

// createOne inserts one voucher; with random, under a fresh random code,
// drawn again on a collision.
func (s *Service) createOne(ctx context.Context, sc models.Scope, tmpl *models.Voucher, p models.CodePattern, random bool) (*models.VoucherView, error) {
	draw := s.drawer(p)
	for attempt := 0; ; attempt++ {
		if random {
			code, err := draw()
			if err != nil {
				return nil, err
			}
			tmpl.Code = code
		}
		err := s.pgxTx(ctx, func(tx pgx.Tx) error { return s.insertVouchers(ctx, tx, tmpl, 1, nil) })
		if err == nil {
			return s.VoucherByCode(ctx, sc, tmpl.Code)
		}
		if !random || models.CodeOf(err) != models.ECONFLICT || attempt == maxCodeRounds {
			return nil, err
		}
	}
}

func checkVoucherInput(c *models.Campaign, in *models.VoucherInput) error {
	if in.Type != "" && in.Type != c.Type {
		return models.FieldError("type", "must be the campaign's type %q", c.Type)
	}
	if c.Status == models.StatusCreating || c.Status == models.StatusFailed {
		return models.Errorf(models.ECONFLICT, "campaign is %s", c.Status)
	}
	vt := c.ValueType
	if in.ValueType != nil {
		vt = *in.ValueType
	}
	if in.Value != nil && vt == models.ValuePercent && (*in.Value < 1 || *in.Value > 100) {
		return models.FieldError("value", "must be a whole percent from 1 to 100")
	}
	if err := checkPays(c, in.Value); err != nil {
		return err
	}
	zone := c.TimeZone
	if in.TimeZone != nil {
		zone = *in.TimeZone
	}
	if err := normalizeValidity(in.ValidFrom, in.ExpiresOn, c, zone); err != nil {
		return err
	}
	return compileRules(in.RedemptionRules, "")
}

// checkPays refuses a gift or discount voucher whose value in force (own,
// else the campaign's) is 0: every redeem of it would pay nothing.
func checkPays(c *models.Campaign, own *int64) error {
	if c.Type == models.CampaignDynamic {
		return nil
	}
	if own == nil && c.VoucherValue == 0 {
		return models.FieldError("value", "is required: the campaign's voucherValue is 0")
	}
	if own != nil && *own == 0 {
		return models.FieldError("value", "must be above 0")
	}
	return nil
}

// CanonicalCode is code as it is stored and looked up: ASCII letters
// upper-cased, so that a keypad sending lower case finds the voucher
// through the index on (tenant, code). Only ASCII changes: Unicode case
// mapping would make other letters match codes (the long s matches S), and
// codes are ASCII when they are made.
func CanonicalCode(code string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// normalizeValidity turns a voucher's own validFrom and expiresOn into
// dates in zone and checks that the dates in force (its own, else the
// campaign's) leave a day to use it.
func normalizeValidity(validFrom, expiresOn *string, c *models.Campaign, zone string) error {
	err := models.NormalizeDate("expiresOn", expiresOn, zone)
	if err == nil {
		err = models.NormalizeDate("validFrom", validFrom, zone)
	}
	if err != nil {
		return err
	}
	return models.ValidityOrder(cmp.Or(validFrom, c.ValidFrom), cmp.Or(expiresOn, c.ExpiresOn))
}

func voucherTemplate(c *models.Campaign, in *models.VoucherInput) *models.Voucher {
	prefix := c.Prefix
	if in.Prefix != nil {
		prefix = CanonicalCode(*in.Prefix)
	}
	return &models.Voucher{UserGroup: c.UserGroup, Tenant: c.Tenant, Campaign: c.ID, Type: c.Type,
		Prefix: prefix, Code: CanonicalCode(in.Code), Value: in.Value, ValueType: in.ValueType, RedemptionLimit: in.RedemptionLimit,
		ResetFrequency: in.ResetFrequency, ExpiresOn: in.ExpiresOn, ValidFrom: in.ValidFrom, TimeZone: in.TimeZone,
		ValidationRules: in.ValidationRules, RedemptionRules: in.RedemptionRules, Status: in.Status,
		Text1: in.Text1, Text2: in.Text2, Text3: in.Text3, Text4: in.Text4, Style: in.Style,
		VoucherComments: in.VoucherComments}
}

// VoucherByCode returns the voucher with code. Returns ENOTFOUND.
func (s *Service) VoucherByCode(ctx context.Context, sc models.Scope, code string) (*models.VoucherView, error) {
	t, found, err := loadTarget(ctx, s.DB.DB, sc, CanonicalCode(code), false)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, models.Errorf(models.ENOTFOUND, "voucher not found")
	}
	v := View(&t.C, &t.V, s.Now())
	return &v, nil
}

// stored returns voucher id and its campaign. Returns ENOTFOUND, also for
// an id that is not a UUID.
func (s *Service) stored(ctx context.Context, sc models.Scope, id string) (*target, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, models.Errorf(models.ENOTFOUND, "voucher not found")
	}
	var vs []models.Voucher
	err := s.DB.WithContext(ctx).Table("vouchers").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Find(&vs).Error
	if err != nil {
		return nil, pg.MapError(err)
	}
	if len(vs) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "voucher not found")
	}
	t := &target{V: vs[0]}
	err = s.DB.WithContext(ctx).Raw(`SELECT * FROM campaigns WHERE id = ?`, t.V.Campaign).Scan(&t.C).Error
	return t, pg.MapError(err)
}

// Voucher returns voucher id as the API shows it. Returns ENOTFOUND.
func (s *Service) Voucher(ctx context.Context, sc models.Scope, id string) (*models.VoucherView, error) {
	t, err := s.stored(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	v := View(&t.C, &t.V, s.Now())
	return &v, nil
}

// voucherColumns are the columns an update may write.
var voucherColumns = []string{"status", "value", "value_type", "redemption_limit", "reset_frequency",
	"expires_on", "valid_from", "time_zone", "validation_rules", "redemption_rules", "text1", "text2", "text3", "text4",
	"style", "voucher_comments", "updated_at"}

// UpdateVoucher applies p to voucher id. Returns ENOTFOUND, EINVALID,
// EEXPRESSION.
func (s *Service) UpdateVoucher(ctx context.Context, sc models.Scope, id string, p *models.VoucherPatch) (*models.VoucherView, error) {
	t, err := s.stored(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	shown := View(&t.C, &t.V, s.Now())
	p.KeepInherited(&shown)
	if err := p.Apply(&t.V); err != nil {
		return nil, err
	}
	st := Effective(&t.C, &t.V)
	if err := normalizeValidity(t.V.ValidFrom, t.V.ExpiresOn, &t.C, st.TimeZone); err != nil {
		return nil, err
	}
	if st.Type != models.CampaignDynamic {
		if err := vValue(st); err != nil {
			return nil, err
		}
	}
	if err := compileRules(t.V.RedemptionRules, ""); err != nil {
		return nil, err
	}
	t.V.UpdatedAt = s.Now()
	err = s.DB.WithContext(ctx).Table("vouchers").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Select(voucherColumns).Updates(&t.V).Error
	if err != nil {
		return nil, pg.MapError(err)
	}
	v := View(&t.C, &t.V, s.Now())
	return &v, nil
}

func vValue(st Settings) error {
	if st.ValueType == models.ValuePercent && (st.Value < 1 || st.Value > 100) {
		return models.FieldError("value", "must be a whole percent from 1 to 100")
	}
	if st.Value == 0 {
		return models.FieldError("value", "must be above 0 (own or the campaign's voucherValue)")
	}
	return nil
}

// DeleteVoucher removes voucher id with its redemptions and logs. Returns
// ENOTFOUND.
func (s *Service) DeleteVoucher(ctx context.Context, sc models.Scope, id string) error {
	if _, err := s.stored(ctx, sc, id); err != nil {
		return err
	}
	err := s.DB.WithContext(ctx).Exec(`DELETE FROM vouchers WHERE id = ?`, id).Error
	return pg.MapError(err)
}

// ListVouchers returns one page of vouchers as the API shows them, and the
// total.
func (s *Service) ListVouchers(ctx context.Context, sc models.Scope, q models.ListQuery) ([]models.VoucherView, int64, error) {
	vs, total, err := pg.List[models.Voucher](ctx, s.DB.DB, sc, VouchersRes, q)
	if err != nil {
		return nil, 0, err
	}
	campaigns, err := s.campaignsOf(ctx, vs)
	if err != nil {
		return nil, 0, err
	}
	now := s.Now()
	out := make([]models.VoucherView, len(vs))
	for i := range vs {
		out[i] = View(campaigns[vs[i].Campaign], &vs[i], now)
	}
	return out, total, nil
}

// campaignsOf loads the campaigns of vs by id.
func (s *Service) campaignsOf(ctx context.Context, vs []models.Voucher) (map[int64]*models.Campaign, error) {
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.Campaign)
	}
	var cs []models.Campaign
	if len(ids) > 0 {
		if err := s.DB.WithContext(ctx).Table("campaigns").Where("id IN ?", ids).Find(&cs).Error; err != nil {
			return nil, pg.MapError(err)
		}
	}
	out := make(map[int64]*models.Campaign, len(cs))
	for i := range cs {
		out[cs[i].ID] = &cs[i]
	}
	return out, nil
}

// CampaignVouchers lists the vouchers of campaign id. Returns ENOTFOUND.
func (s *Service) CampaignVouchers(ctx context.Context, sc models.Scope, id int64, q models.ListQuery) ([]models.VoucherView, int64, error) {
	if _, err := s.Campaign(ctx, sc, id); err != nil {
		return nil, 0, err
	}
	q.Filters = append(q.Filters, models.Filter{Column: "campaign", Op: "eq", Value: strconv.FormatInt(id, 10)})
	return s.ListVouchers(ctx, sc, q)
}

// Logs lists the logs of voucher id. Returns ENOTFOUND.
func (s *Service) Logs(ctx context.Context, sc models.Scope, id string, q models.ListQuery) ([]models.VoucherLog, int64, error) {
	if _, err := s.stored(ctx, sc, id); err != nil {
		return nil, 0, err
	}
	q.Filters = append(q.Filters, models.Filter{Column: "voucher", Op: "eq", Value: id})
	return pg.List[models.VoucherLog](ctx, s.DB.DB, sc, VoucherLogsRes, q)
}
