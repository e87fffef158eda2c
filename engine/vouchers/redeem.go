package vouchers

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// ValidateRequest is the body of POST /voucher/{code}/validate. Order is
// our extension: with it, percent and dynamic amounts and product rules are
// computed as a redeem would.
type ValidateRequest struct {
	DeviceID     string  `json:"deviceId"`
	LockDuration float64 `json:"lockDuration"`
	Demand       *Demand `json:"demand"`
	Order        *Order  `json:"order"`
}

// RedeemRequest is the body of POST /voucher/{code}/redeem.
type RedeemRequest struct {
	DeviceID string  `json:"deviceId"`
	Order    *Order  `json:"order"`
	Demand   *Demand `json:"demand"`
}

// Discount is what a voucher takes off.
type Discount struct {
	Type       string `json:"type"`
	AmountOff  int64  `json:"amountOff"`
	PercentOff int64  `json:"percentOff,omitempty"`
}

// ValidFor lists the products a voucher may pay for (PLU → true); empty
// means all.
type ValidFor struct {
	Products       map[string]bool `json:"products"`
	ProductsRegExp string          `json:"productsRegExp"`
}

// ValidateResponse is the answer to a validate.
type ValidateResponse struct {
	Code         string     `json:"code"`
	CampaignType string     `json:"campaignType"`
	VoucherID    string     `json:"voucherId"`
	Valid        bool       `json:"valid"`
	Reason       string     `json:"reason,omitempty"`
	Message      string     `json:"message,omitempty"`
	VoucherValue int64      `json:"voucherValue"`
	Balance      *int64     `json:"balance,omitempty"`
	Discount     Discount   `json:"discount"`
	ValidFor     ValidFor   `json:"validFor"`
	LockedTill   *time.Time `json:"lockedTill,omitempty"`
}

// RedeemResponse is the answer to a redeem.
type RedeemResponse struct {
	Code         string   `json:"code"`
	CampaignType string   `json:"campaignType"`
	VoucherID    string   `json:"voucherId"`
	Redeemed     bool     `json:"redeemed"`
	Reason       string   `json:"reason,omitempty"`
	Message      string   `json:"message,omitempty"`
	Discount     Discount `json:"discount"`
	VoucherValue int64    `json:"voucherValue"`
}

func discount(dec *decision) Discount {
	d := Discount{Type: models.ValueCents, AmountOff: dec.Amount}
	if dec.Settings.Type == models.CampaignDiscount && dec.Settings.ValueType == models.ValuePercent {
		d.Type, d.PercentOff = models.ValuePercent, dec.Settings.Value
	}
	return d
}

// Validate checks a voucher for a device without spending it; with
// lockDuration it also locks the voucher to that device. Business outcomes
// are in the answer; errors are EINVALID, EFORBIDDEN.
func (s *Service) Validate(ctx context.Context, sc models.Scope, code string, req ValidateRequest) (*ValidateResponse, error) {
	if req.LockDuration < 0 || req.LockDuration > models.MaxLockSeconds {
		return nil, models.FieldError("lockDuration", "must be from 0 to %d seconds", models.MaxLockSeconds)
	}
	d, err := s.resolveDevice(ctx, sc, req.DeviceID)
	if err != nil {
		return nil, err
	}
	t, found, err := loadTarget(ctx, s.DB.DB, sc, code, false)
	if err != nil || !found {
		return &ValidateResponse{Code: code, Reason: ReasonNotFound, ValidFor: ValidFor{Products: map[string]bool{}}}, err
	}
	now := s.Now()
	dec := decide(ctx, t, d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand}, now)
	resp := validateResponse(t, &dec)
	if dec.ok() && req.LockDuration > 0 {
		if err := s.lock(ctx, t, req.DeviceID, now, req.LockDuration, resp); err != nil {
			return nil, err
		}
	}
	return resp, s.writeLog(ctx, s.DB.DB, t, "validate", requester(sc, req.DeviceID), d, resp.Valid, req, mustJSON(resp))
}

func validateResponse(t *target, dec *decision) *ValidateResponse {
	r := &ValidateResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID, Valid: dec.ok(),
		Reason: dec.Reason, Message: dec.Message, VoucherValue: dec.Settings.Value, Discount: discount(dec),
		ValidFor: ValidFor{Products: dec.Products, ProductsRegExp: productsRegExp(dec.Products)}}
	if r.ValidFor.Products == nil {
		r.ValidFor.Products = map[string]bool{}
	}
	if dec.Settings.Type == models.CampaignGift {
		b := Balance(dec.Settings, dec.Counters)
		r.Balance = &b
	}
	return r
}

// lock locks the voucher to deviceID for seconds, unless another device
// holds a lock that has not run out.
func (s *Service) lock(ctx context.Context, t *target, deviceID string, now time.Time, seconds float64, resp *ValidateResponse) error {
	till := now.Add(time.Duration(seconds * float64(time.Second))).UTC()
	res := s.DB.WithContext(ctx).Exec(`UPDATE vouchers SET lock_owner = ?, locked_till = ?
		WHERE id = ? AND (lock_owner IS NULL OR lock_owner = ? OR locked_till <= ?)`,
		deviceID, till, t.V.ID, deviceID, now)
	if res.Error != nil {
		return pg.MapError(res.Error)
	}
	if res.RowsAffected == 0 {
		resp.Valid, resp.Reason, resp.Discount.AmountOff = false, ReasonLocked, 0
		return nil
	}
	resp.LockedTill = &till
	return nil
}

// Redeem spends a voucher for an order. It is idempotent on (voucher,
// deviceId, order.id): a retry gets the bytes of the first successful
// answer and changes nothing. The answer is JSON of a RedeemResponse.
// Errors are EINVALID, EFORBIDDEN, EUNAVAILABLE.
func (s *Service) Redeem(ctx context.Context, sc models.Scope, code string, req RedeemRequest) ([]byte, error) {
	d, err := s.resolveDevice(ctx, sc, req.DeviceID)
	if err != nil {
		return nil, err
	}
	if s.SerializeHot {
		defer s.locks.Lock(code)()
	}
	var out []byte
	err = s.withTx(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = s.redeemTx(ctx, tx, sc, d, code, req)
		return err
	})
	return out, err
}

func (s *Service) redeemTx(ctx context.Context, tx *gorm.DB, sc models.Scope, d *device, code string, req RedeemRequest) ([]byte, error) {
	t, found, err := loadTarget(ctx, tx, sc, code, true)
	if err != nil || !found {
		return mustJSON(RedeemResponse{Code: code, Reason: ReasonNotFound}), err
	}
	who := requester(sc, req.DeviceID)
	if prev, ok, err := earlierAnswer(ctx, tx, t, req); err != nil || ok {
		if err == nil {
			err = s.writeLog(ctx, tx, t, "redeem", who, d, true, req, prev)
		}
		return prev, err
	}
	now := s.Now()
	dec := decide(ctx, t, d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand, Redeem: true}, now)
	resp := RedeemResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID, Redeemed: dec.ok(),
		Reason: dec.Reason, Message: dec.Message, Discount: discount(&dec), VoucherValue: dec.Settings.Value}
	if !dec.ok() {
		resp.Discount.AmountOff = 0
	} else if err := s.spend(ctx, tx, t, d, &dec, now, &resp); err != nil {
		return nil, err
	}
	out := mustJSON(resp)
	if resp.Redeemed {
		if err := insertRedemption(ctx, tx, t, d, req, &dec, out); err != nil {
			return nil, err
		}
	}
	return out, s.writeLog(ctx, tx, t, "redeem", who, d, resp.Redeemed, req, out)
}

// earlierAnswer returns the stored answer of an earlier successful redeem
// of the same voucher, device and order.
func earlierAnswer(ctx context.Context, tx *gorm.DB, t *target, req RedeemRequest) ([]byte, bool, error) {
	if req.Order == nil || req.Order.ID == "" {
		return nil, false, nil
	}
	var resp []string
	err := tx.WithContext(ctx).Raw(`SELECT response FROM redemptions WHERE voucher = ? AND device_id = ? AND order_id = ?`,
		t.V.ID, req.DeviceID, req.Order.ID).Scan(&resp).Error
	if err != nil || len(resp) == 0 {
		return nil, false, pg.MapError(err)
	}
	return []byte(resp[0]), true, nil
}

// spend resets the counters if a new period began and then spends the
// redemption with one conditional UPDATE. The row lock makes the guard
// always hold; it is there so that the invariant is stated where it is
// enforced.
func (s *Service) spend(ctx context.Context, tx *gorm.DB, t *target, d *device, dec *decision, now time.Time, resp *RedeemResponse) error {
	if err := resetPeriod(ctx, tx, t, dec.Counters, now); err != nil {
		return err
	}
	ok, err := spendWithinLimits(ctx, tx, t.V.ID, dec, d.locationLabel(), now)
	if err != nil || ok {
		return err
	}
	resp.Redeemed, resp.Discount.AmountOff = false, 0
	resp.Reason = ReasonLimitReached
	if dec.Settings.Type == models.CampaignGift {
		resp.Reason = ReasonInsufficientBalance
	}
	return nil
}

// resetPeriod stores a new period's start, zeroing the counters when the
// period changed.
func resetPeriod(ctx context.Context, tx *gorm.DB, t *target, c Counters, now time.Time) error {
	if c.PeriodStart == nil || (t.V.PeriodStart != nil && t.V.PeriodStart.Equal(*c.PeriodStart)) {
		return nil
	}
	err := tx.WithContext(ctx).Exec(`UPDATE vouchers SET period_start = ?,
			redemption_count = CASE WHEN ? THEN 0 ELSE redemption_count END,
			amount_redeemed = CASE WHEN ? THEN 0 ELSE amount_redeemed END,
			last_reset_at = CASE WHEN ? THEN ? ELSE last_reset_at END
		WHERE id = ?`, c.PeriodStart.UTC(), c.Reset, c.Reset, c.Reset, now.UTC(), t.V.ID).Error
	return pg.MapError(err)
}

// spendWithinLimits counts one redemption of amount, only while the count
// is under the limit and, for a gift, the amount fits the balance.
func spendWithinLimits(ctx context.Context, tx *gorm.DB, id string, dec *decision, location string, now time.Time) (bool, error) {
	balanceCap := int64(-1)
	if dec.Settings.Type == models.CampaignGift {
		balanceCap = dec.Settings.Value
	}
	res := tx.WithContext(ctx).Exec(`UPDATE vouchers SET
			redemption_count = redemption_count + 1, total_redemption_count = total_redemption_count + 1,
			amount_redeemed = amount_redeemed + CAST(@amount AS bigint), total_amount_redeemed = total_amount_redeemed + CAST(@amount AS bigint),
			last_redemption_at = @now, last_redemption_location = @location,
			lock_owner = NULL, locked_till = NULL, updated_at = @now
		WHERE id = @id AND (CAST(@limit AS bigint) = 0 OR redemption_count < CAST(@limit AS bigint))
			AND (CAST(@cap AS bigint) < 0 OR amount_redeemed + CAST(@amount AS bigint) <= CAST(@cap AS bigint))`,
		map[string]any{"amount": dec.Amount, "now": now.UTC(), "location": location, "id": id,
			"limit": dec.Settings.RedemptionLimit, "cap": balanceCap})
	return res.RowsAffected == 1, pg.MapError(res.Error)
}

func insertRedemption(ctx context.Context, tx *gorm.DB, t *target, d *device, req RedeemRequest, dec *decision, resp []byte) error {
	var ps *time.Time
	if dec.Counters.PeriodStart != nil {
		u := dec.Counters.PeriodStart.UTC()
		ps = &u
	}
	err := tx.WithContext(ctx).Exec(`INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id,
			machine, location, amount, period_start, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.V.UserGroup, t.V.ID, t.V.Campaign, req.DeviceID, req.Order.ID, d.MachineID, d.LocationID,
		dec.Amount, ps, string(resp)).Error
	return pg.MapError(err)
}

// writeLog records one action on a voucher.
func (s *Service) writeLog(ctx context.Context, db *gorm.DB, t *target, action, who string, d *device, success bool, req any, resp []byte) error {
	ok := 0
	if success {
		ok = 1
	}
	err := db.WithContext(ctx).Exec(`INSERT INTO voucher_logs (user_group, voucher, requester, requester_location,
			action, success, request, response, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.V.UserGroup, t.V.ID, who, d.locationLabel(), action, ok, string(mustJSON(req)), string(resp), t.C.Currency).Error
	return pg.MapError(err)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types are marshalled
	}
	return b
}
