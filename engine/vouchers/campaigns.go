package vouchers

import (
	"context"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// CreateCampaign stores c for the scope's user (c.UserGroup defaults to the
// scope's group) and, when c.TotalVouchers > 0, starts generating its
// vouchers in the background with the campaign "creating". Returns EINVALID,
// EEXPRESSION.
func (s *Service) CreateCampaign(ctx context.Context, sc models.Scope, c *models.Campaign) error {
	c.ID, c.GeneratedVouchers, c.GenerationError, c.LastResetAt = 0, 0, "", nil
	if c.UserGroup == 0 {
		c.UserGroup = sc.GroupID
	}
	if !sc.Sees(c.UserGroup) {
		return models.FieldError("userGroup", "refers to an unknown user group")
	}
	c.Prefix = CanonicalCode(c.Prefix) // codes are stored upper-case
	if c.TotalVouchers > 0 {
		c.Status = models.StatusCreating
	} else if c.Status == models.StatusCreating || c.Status == "" {
		c.Status = models.StatusActive
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := compileRules(c.RedemptionRules, c.ValueExpr); err != nil {
		return err
	}
	if err := pg.CheckRefs(ctx, s.DB.DB, sc, c.LogoRefs()); err != nil {
		return err
	}
	if sc.UserID != 0 {
		c.OwnerID = &sc.UserID
	}
	tenant, err := s.tenantOf(ctx, c.UserGroup)
	if err != nil {
		return err
	}
	c.Tenant = tenant
	if err := pg.MapError(s.DB.WithContext(ctx).Table("campaigns").Create(c).Error); err != nil {
		return err
	}
	if c.Status == models.StatusCreating {
		s.startGeneration(c.ID)
	}
	return nil
}

// tenantOf returns the root user group above group: codes are unique
// within it.
func (s *Service) tenantOf(ctx context.Context, group int64) (int64, error) {
	var root int64
	err := s.DB.WithContext(ctx).Raw(`WITH RECURSIVE up AS (
			SELECT id, parent FROM user_groups WHERE id = ?
			UNION ALL SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
		SELECT id FROM up WHERE parent IS NULL`, group).Scan(&root).Error
	if err != nil {
		return 0, pg.MapError(err)
	}
	if root == 0 {
		return 0, models.FieldError("userGroup", "refers to an unknown user group")
	}
	return root, nil
}

// Campaign returns campaign id. Returns ENOTFOUND.
func (s *Service) Campaign(ctx context.Context, sc models.Scope, id int64) (*models.Campaign, error) {
	return pg.Get[models.Campaign](ctx, s.DB.DB, sc, CampaignsRes, id)
}

// campaignColumns are the columns an update may write.
var campaignColumns = []string{"name", "voucher_value", "value_type", "value_expr", "redemption_limit",
	"reset_frequency", "expires_on", "valid_from", "currency", "time_zone", "status", "owner_data", "voucher_text1",
	"voucher_text2", "voucher_text3", "voucher_text4", "voucher_style", "voucher_logo_img", "validation_rules",
	"redemption_rules", "updated_at"}

// UpdateCampaign applies p to campaign id; inheriting vouchers follow the
// new settings at once. Returns ENOTFOUND, EINVALID, EEXPRESSION, and
// ECONFLICT for a status change while vouchers are being generated.
func (s *Service) UpdateCampaign(ctx context.Context, sc models.Scope, id int64, p *models.CampaignPatch) (*models.Campaign, error) {
	c, err := s.Campaign(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if p.Status != nil && *p.Status != c.Status && (c.Status == models.StatusCreating || c.Status == models.StatusFailed) {
		return nil, models.Errorf(models.ECONFLICT, "campaign is %s; its status cannot change", c.Status)
	}
	if err := p.Apply(c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := compileRules(c.RedemptionRules, c.ValueExpr); err != nil {
		return nil, err
	}
	if err := s.checkInheritedValue(ctx, c); err != nil {
		return nil, err
	}
	if err := pg.CheckRefs(ctx, s.DB.DB, sc, c.LogoRefs()); err != nil {
		return nil, err
	}
	c.UpdatedAt = s.Now()
	err = s.DB.WithContext(ctx).Table("campaigns").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Select(campaignColumns).Updates(c).Error
	return c, pg.MapError(err)
}

// checkInheritedValue refuses a voucherValue of 0 on a gift or discount
// campaign while vouchers inherit it: they would pay nothing. Returns
// EINVALID.
func (s *Service) checkInheritedValue(ctx context.Context, c *models.Campaign) error {
	if c.Type == models.CampaignDynamic || c.VoucherValue != 0 {
		return nil
	}
	var inheriting bool
	err := s.DB.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM vouchers WHERE campaign = ? AND value IS NULL)`,
		c.ID).Scan(&inheriting).Error
	if err != nil {
		return pg.MapError(err)
	}
	if inheriting {
		return models.FieldError("voucherValue", "must be above 0 while vouchers inherit it")
	}
	return nil
}

// DeleteCampaign removes campaign id with its vouchers, redemptions and
// logs. Returns ENOTFOUND.
func (s *Service) DeleteCampaign(ctx context.Context, sc models.Scope, id int64) error {
	res := s.DB.WithContext(ctx).Table("campaigns").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Delete(nil)
	if res.Error != nil {
		return pg.MapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "campaign %d not found", id)
	}
	return nil
}

// ValidationRules returns the validation rules of campaign id, in the seed's
// {id, campaign, field, value} shape. Returns ENOTFOUND.
func (s *Service) ValidationRules(ctx context.Context, sc models.Scope, id int64) (models.ValidationRules, error) {
	c, err := s.Campaign(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	out := make(models.ValidationRules, len(c.ValidationRules))
	for i, r := range c.ValidationRules {
		out[i] = models.ValidationRule{ID: int64(i + 1), Campaign: id, Field: r.Field, Value: r.Value}
	}
	return out, nil
}

// SetValidationRules replaces the validation rules of campaign id. Returns
// ENOTFOUND, EINVALID.
func (s *Service) SetValidationRules(ctx context.Context, sc models.Scope, id int64, rs models.ValidationRules) error {
	if rs == nil {
		rs = models.ValidationRules{}
	}
	for i := range rs {
		rs[i].ID, rs[i].Campaign = 0, 0
	}
	_, err := s.UpdateCampaign(ctx, sc, id, &models.CampaignPatch{ValidationRules: &rs})
	return err
}

// Stats are the redemption figures of a campaign.
type Stats struct {
	Campaign       int64 `json:"campaign"`
	Vouchers       int64 `json:"vouchers"`
	Redeemed       int64 `json:"redeemed"`    // vouchers redeemed at least once
	Redemptions    int64 `json:"redemptions"` // redemptions not rolled back
	AmountRedeemed int64 `json:"amountRedeemed"`
}

// CampaignStats returns the figures of campaign id. Returns ENOTFOUND.
func (s *Service) CampaignStats(ctx context.Context, sc models.Scope, id int64) (Stats, error) {
	if _, err := s.Campaign(ctx, sc, id); err != nil {
		return Stats{}, err
	}
	st := Stats{Campaign: id}
	err := s.DB.WithContext(ctx).Raw(`SELECT count(*) AS vouchers,
			count(*) FILTER (WHERE total_redemption_count > 0) AS redeemed,
			COALESCE(sum(total_redemption_count), 0) AS redemptions,
			COALESCE(sum(total_amount_redeemed), 0) AS amount_redeemed
		FROM vouchers WHERE campaign = ?`, id).Scan(&st).Error
	st.Campaign = id
	return st, pg.MapError(err)
}

// withTx runs fn in a transaction of s.DB.
func (s *Service) withTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.DB.Tx(ctx, fn)
}
