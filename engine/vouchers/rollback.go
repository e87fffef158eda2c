package vouchers

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// RollbackRequest is the body of POST /voucher/{code}/rollback.
type RollbackRequest struct {
	DeviceID string `json:"deviceId"`
	Order    struct {
		ID string `json:"id"`
	} `json:"order"`
}

// RollbackResponse is the answer to a rollback. RolledBack is false when
// the redemption was rolled back before (reason "already_rolled_back").
type RollbackResponse struct {
	Code       string `json:"code"`
	VoucherID  string `json:"voucherId"`
	Redemption int64  `json:"redemption"`
	RolledBack bool   `json:"rolledBack"`
	Reason     string `json:"reason,omitempty"`
	Amount     int64  `json:"amount"`
}

// Reasons of a rollback that did nothing.
const (
	ReasonAlreadyRolledBack = "already_rolled_back"
	ReasonNoRedemption      = "no_redemption"
)

// Rollback undoes a device's redemption of code for an order (e.g. after
// a failed vend): counters, amounts and balance are restored, once.
// Returns EINVALID, EFORBIDDEN.
func (s *Service) Rollback(ctx context.Context, sc models.Scope, code string, req RollbackRequest) (*RollbackResponse, error) {
	if err := checkRequest(code, req.DeviceID, &Order{ID: req.Order.ID}, nil); err != nil {
		return nil, err
	}
	code = CanonicalCode(code)
	d, err := s.resolveDevice(ctx, sc, req.DeviceID)
	if err != nil {
		return nil, err
	}
	if req.Order.ID == "" {
		return nil, models.FieldError("order.id", "is required")
	}
	var resp *RollbackResponse
	err = s.withTx(ctx, func(tx *gorm.DB) error {
		t, found, err := loadTarget(ctx, tx, sc, code, true)
		if err != nil || !found {
			resp = &RollbackResponse{Code: code, Reason: ReasonNotFound}
			return err
		}
		var rs []models.Redemption
		err = tx.Raw(`SELECT * FROM redemptions WHERE voucher = ? AND device_id = ? AND order_id = ?`,
			t.V.ID, req.DeviceID, req.Order.ID).Scan(&rs).Error
		if err != nil {
			return pg.MapError(err)
		}
		if len(rs) == 0 {
			resp = &RollbackResponse{Code: code, VoucherID: t.V.ID, Reason: ReasonNoRedemption}
		} else if resp, err = s.undo(ctx, tx, t, &rs[0]); err != nil {
			return err
		}
		return s.writeLog(ctx, tx, t, "rollback", requester(sc, req.DeviceID), d, resp.RolledBack, req, mustJSON(resp))
	})
	s.known.forget(sc, code) // the balance and counters came back
	return resp, err
}

// RollbackRedemption undoes redemption id for a manager. Returns ENOTFOUND.
func (s *Service) RollbackRedemption(ctx context.Context, sc models.Scope, id int64) (*RollbackResponse, error) {
	r, err := pg.Get[models.Redemption](ctx, s.DB.DB, sc, RedemptionsRes, id)
	if err != nil {
		return nil, err
	}
	var resp *RollbackResponse
	err = s.withTx(ctx, func(tx *gorm.DB) error {
		var v models.Voucher
		if err := tx.Raw(`SELECT * FROM vouchers WHERE id = ? FOR UPDATE`, r.Voucher).Scan(&v).Error; err != nil {
			return pg.MapError(err)
		}
		t := &target{V: v}
		if err := tx.Raw(`SELECT * FROM campaigns WHERE id = ?`, v.Campaign).Scan(&t.C).Error; err != nil {
			return pg.MapError(err)
		}
		var err error
		if resp, err = s.undo(ctx, tx, t, r); err != nil {
			return err
		}
		req := map[string]any{"redemption": id}
		return s.writeManagerLog(ctx, tx, t, sc, r, resp, req)
	})
	return resp, err
}

func (s *Service) writeManagerLog(ctx context.Context, tx *gorm.DB, t *target, sc models.Scope, r *models.Redemption, resp *RollbackResponse, req any) error {
	d := &device{}
	if r.Location != nil {
		d.Location = *r.Location
	}
	who := requester(sc, r.DeviceID)
	return s.writeLog(ctx, tx, t, "rollback", who, d, resp.RolledBack, req, mustJSON(resp))
}

// undo marks redemption r rolled back, once, and gives its count and amount
// back to the voucher; the period counters only when the redemption
// belongs to the voucher's current period (otherwise they were reset).
// The caller holds the voucher's row lock.
func (s *Service) undo(ctx context.Context, tx *gorm.DB, t *target, r *models.Redemption) (*RollbackResponse, error) {
	resp := &RollbackResponse{Code: t.V.Code, VoucherID: t.V.ID, Redemption: r.ID, Amount: r.Amount}
	now := s.Now().UTC()
	res := tx.WithContext(ctx).Exec(`UPDATE redemptions SET rolled_back_at = ?, updated_at = ?
		WHERE id = ? AND rolled_back_at IS NULL`, now, now, r.ID)
	if res.Error != nil {
		return nil, pg.MapError(res.Error)
	}
	if res.RowsAffected == 0 {
		resp.Reason = ReasonAlreadyRolledBack
		return resp, nil
	}
	resp.RolledBack = true
	return resp, restoreCounters(ctx, tx, t.V.ID, r, now)
}

func restoreCounters(ctx context.Context, tx *gorm.DB, id string, r *models.Redemption, now time.Time) error {
	err := tx.WithContext(ctx).Exec(`UPDATE vouchers SET
			total_redemption_count = GREATEST(total_redemption_count - 1, 0),
			total_amount_redeemed = GREATEST(total_amount_redeemed - CAST(@amount AS bigint), 0),
			redemption_count = CASE WHEN period_start IS NOT DISTINCT FROM @ps
				THEN GREATEST(redemption_count - 1, 0) ELSE redemption_count END,
			amount_redeemed = CASE WHEN period_start IS NOT DISTINCT FROM @ps
				THEN GREATEST(amount_redeemed - CAST(@amount AS bigint), 0) ELSE amount_redeemed END,
			updated_at = @now
		WHERE id = @id`, map[string]any{"amount": r.Amount, "ps": r.PeriodStart, "now": now, "id": id}).Error
	return pg.MapError(err)
}

// UnlockRequest is the body of DELETE /voucher/{code}/lock.
type UnlockRequest struct {
	DeviceID string `json:"deviceId"`
}

// UnlockResponse says whether a lock held by the device was released.
type UnlockResponse struct {
	Code     string `json:"code"`
	Unlocked bool   `json:"unlocked"`
	Reason   string `json:"reason,omitempty"`
}

// Unlock releases the device's lock on a voucher early. Returns EINVALID,
// EFORBIDDEN.
func (s *Service) Unlock(ctx context.Context, sc models.Scope, code string, req UnlockRequest) (*UnlockResponse, error) {
	if err := checkRequest(code, req.DeviceID, nil, nil); err != nil {
		return nil, err
	}
	code = CanonicalCode(code)
	d, err := s.resolveDevice(ctx, sc, req.DeviceID)
	if err != nil {
		return nil, err
	}
	t, found, err := loadTarget(ctx, s.DB.DB, sc, code, false)
	if err != nil || !found {
		return &UnlockResponse{Code: code, Reason: ReasonNotFound}, err
	}
	res := s.DB.WithContext(ctx).Exec(`UPDATE vouchers SET lock_owner = NULL, locked_till = NULL
		WHERE id = ? AND lock_owner = ?`, t.V.ID, req.DeviceID)
	if res.Error != nil {
		return nil, pg.MapError(res.Error)
	}
	s.known.forget(sc, code)
	resp := &UnlockResponse{Code: t.V.Code, Unlocked: res.RowsAffected == 1}
	if !resp.Unlocked {
		resp.Reason = "not_locked_by_device"
	}
	return resp, s.writeLog(ctx, s.DB.DB, t, "unlock", requester(sc, req.DeviceID), d, resp.Unlocked, req, mustJSON(resp))
}
