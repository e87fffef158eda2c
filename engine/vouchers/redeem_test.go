package vouchers

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func TestReasons(t *testing.T) {
	f := newFixture(t)
	disc := f.campaign(models.Campaign{Type: "discount", VoucherValue: 100})
	gift := f.campaign(models.Campaign{Type: "gift", VoucherValue: 300})
	off := f.campaign(models.Campaign{Type: "discount", VoucherValue: 100})
	inactive := f.voucher(off, models.VoucherInput{})
	_, err := f.s.UpdateCampaign(context.Background(), f.mgr, off.ID, &models.CampaignPatch{Status: ptr("inactive")})
	must(t, err)
	expired := f.voucher(disc, models.VoucherInput{ExpiresOn: ptr("2026-06-09")})
	limited := f.voucher(disc, models.VoucherInput{RedemptionLimit: ptr[int64](1)})
	f.redeem(f.dev, limited, f.order(), 500, nil)
	empty := f.voucher(gift, models.VoucherInput{})
	f.redeem(f.dev, empty, f.order(), 0, &Demand{Amount: 300})
	elsewhere := f.voucher(disc, models.VoucherInput{ValidationRules: models.ValidationRules{{Field: "location", Value: "999"}}})
	ruled := f.voucher(disc, models.VoucherInput{RedemptionRules: models.RedemptionRules{
		{Name: "big", Expr: "order.amount >= 1000", Message: "orders of 10 euro or more"}}})
	locked := f.voucher(disc, models.VoucherInput{})
	if v := f.validate(f.dev2, locked, ValidateRequest{LockDuration: 60}); !v.Valid || v.LockedTill == nil {
		t.Fatalf("lock: %+v", v)
	}
	plain := f.voucher(disc, models.VoucherInput{})

	tests := []struct {
		name   string
		code   string
		amount int64
		order  string
		reason string
	}{
		{"not found", "NOPE-123", 500, "a", ReasonNotFound},
		{"inactive", inactive, 500, "a", ReasonInactive},
		{"expired", expired, 500, "a", ReasonExpired},
		{"limit reached", limited, 500, "b", ReasonLimitReached},
		{"insufficient balance", empty, 500, "c", ReasonInsufficientBalance},
		{"locked", locked, 500, "d", ReasonLocked},
		{"not valid here", elsewhere, 500, "e", ReasonNotValidHere},
		{"rule failed", ruled, 500, "f", ReasonRuleFailed},
		{"invalid order: no id", plain, 500, "", ReasonInvalidOrder},
		{"invalid order: negative", plain, -5, "g", ReasonInvalidOrder},
		{"redeemed", plain, 500, "h", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *Demand
			if tt.code == empty {
				d = &Demand{Amount: 10}
			}
			r := f.redeem(f.dev, tt.code, tt.order, tt.amount, d)
			if r.Reason != tt.reason || r.Redeemed != (tt.reason == "") {
				t.Fatalf("redeem = %+v, want reason %q", r, tt.reason)
			}
			if tt.reason == ReasonRuleFailed && r.Message != "orders of 10 euro or more" {
				t.Fatalf("message %q", r.Message)
			}
		})
	}
	_, err = f.s.Redeem(context.Background(), f.dev2, plain, RedeemRequest{DeviceID: "host-1", Order: &Order{ID: "x", Amount: 5}})
	if models.CodeOf(err) != models.EFORBIDDEN {
		t.Fatalf("foreign deviceId: %v", err)
	}
}

func TestConcurrentLimit(t *testing.T) {
	{
		f := newFixture(t)
		c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 50, RedemptionLimit: 10})
		code := f.voucher(c, models.VoucherInput{})
		var mu sync.Mutex
		redeemed := 0
		var wg sync.WaitGroup
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f.tryRedeem(f.dev, code, f.order(), 200, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Redeemed {
					mu.Lock()
					redeemed++
					mu.Unlock()
				} else if r.Reason != ReasonLimitReached {
					t.Errorf("reason %q", r.Reason)
				}
			}()
		}
		wg.Wait()
		v := f.view(code)
		if redeemed != 10 || v.RedemptionCount != 10 || v.AmountRedeemed != 500 {
			t.Fatalf("%d redeemed, count %d, amount %d", redeemed, v.RedemptionCount, v.AmountRedeemed)
		}
	}
}

func TestConcurrentGift(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 1000})
	code := f.voucher(c, models.VoucherInput{})
	var mu sync.Mutex
	var taken int64
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.tryRedeem(f.dev, code, f.order(), 0, &Demand{Amount: 37})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			taken += r.Discount.AmountOff
			mu.Unlock()
		}()
	}
	wg.Wait()
	v := f.view(code)
	if taken != 1000 || v.Balance != 0 || v.AmountRedeemed != 1000 {
		t.Fatalf("taken %d, balance %d, redeemed %d", taken, v.Balance, v.AmountRedeemed)
	}
}

func TestRedeemIdempotent(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 50, RedemptionLimit: 5})
	code := f.voucher(c, models.VoucherInput{})
	req := RedeemRequest{DeviceID: "host-1", Order: &Order{ID: "same", Amount: 300}}
	first, err := f.s.Redeem(context.Background(), f.dev, code, req)
	must(t, err)
	f.clock.Set(f.clock.Now().Add(time.Minute))
	again, err := f.s.Redeem(context.Background(), f.dev, code, req)
	must(t, err)
	if !bytes.Equal(first, again) {
		t.Fatalf("retry answered %s, first %s", again, first)
	}
	if v := f.view(code); v.RedemptionCount != 1 || v.AmountRedeemed != 50 {
		t.Fatalf("retry changed the voucher: %+v", v)
	}
}

func TestRollbackOnce(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 500})
	code := f.voucher(c, models.VoucherInput{})
	f.redeem(f.dev, code, "o1", 0, &Demand{Amount: 200})
	var wg sync.WaitGroup
	results := make(chan bool, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := RollbackRequest{DeviceID: "host-1"}
			req.Order.ID = "o1"
			r, err := f.s.Rollback(context.Background(), f.dev, code, req)
			if err != nil {
				t.Error(err)
				return
			}
			results <- r.RolledBack
		}()
	}
	wg.Wait()
	close(results)
	n := 0
	for ok := range results {
		if ok {
			n++
		}
	}
	v := f.view(code)
	if n != 1 || v.Balance != 500 || v.RedemptionCount != 0 || v.TotalAmountRedeemed != 0 {
		t.Fatalf("%d rollbacks, voucher %+v", n, v)
	}
	var rid int64
	must(t, f.s.DB.Raw(`SELECT id FROM redemptions`).Scan(&rid).Error)
	r, err := f.s.RollbackRedemption(context.Background(), f.mgr, rid)
	must(t, err)
	if r.RolledBack || r.Reason != ReasonAlreadyRolledBack {
		t.Fatalf("manager rollback after device rollback: %+v", r)
	}
}

func TestLockExpiry(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 50})
	code := f.voucher(c, models.VoucherInput{})
	if v := f.validate(f.dev, code, ValidateRequest{LockDuration: 120}); !v.Valid {
		t.Fatalf("lock: %+v", v)
	}
	if v := f.validate(f.dev2, code, ValidateRequest{}); v.Reason != ReasonLocked {
		t.Fatalf("other device while locked: %+v", v)
	}
	f.clock.Set(f.clock.Now().Add(121 * time.Second))
	if v := f.validate(f.dev2, code, ValidateRequest{}); !v.Valid {
		t.Fatalf("after expiry: %+v", v)
	}
	f.validate(f.dev, code, ValidateRequest{LockDuration: 60})
	u, err := f.s.Unlock(context.Background(), f.dev, code, UnlockRequest{DeviceID: "host-1"})
	must(t, err)
	if !u.Unlocked || !f.validate(f.dev2, code, ValidateRequest{}).Valid {
		t.Fatalf("unlock: %+v", u)
	}
	f.validate(f.dev, code, ValidateRequest{LockDuration: 60})
	if r := f.redeem(f.dev, code, "own", 100, nil); !r.Redeemed {
		t.Fatalf("owner redeem: %+v", r)
	}
	if v := f.view(code); v.LockOwner != nil {
		t.Fatalf("redeem kept the lock: %+v", v)
	}
}

func TestPeriodResetAmsterdamDST(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	tests := []struct {
		name          string
		freq          string
		before, after time.Time
	}{
		{"day across spring DST", "day", time.Date(2026, 3, 28, 23, 59, 0, 0, ams), time.Date(2026, 3, 29, 0, 0, 30, 0, ams)},
		{"day on spring DST day", "day", time.Date(2026, 3, 29, 0, 30, 0, 0, ams), time.Date(2026, 3, 30, 0, 0, 0, 0, ams)},
		{"day across autumn DST", "day", time.Date(2026, 10, 25, 23, 59, 59, 0, ams), time.Date(2026, 10, 26, 0, 0, 0, 0, ams)},
		{"week to Monday", "week", time.Date(2026, 10, 25, 23, 0, 0, 0, ams), time.Date(2026, 10, 26, 0, 1, 0, 0, ams)},
		{"month", "month", time.Date(2026, 10, 31, 23, 59, 0, 0, ams), time.Date(2026, 11, 1, 0, 0, 0, 0, ams)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100, RedemptionLimit: 1, ResetFrequency: tt.freq})
			code := f.voucher(c, models.VoucherInput{})
			f.clock.Set(tt.before)
			if r := f.redeem(f.dev, code, "a", 0, &Demand{Amount: 60}); !r.Redeemed {
				t.Fatalf("first: %+v", r)
			}
			if r := f.redeem(f.dev, code, "b", 0, &Demand{Amount: 10}); r.Reason != ReasonLimitReached {
				t.Fatalf("same period: %+v", r)
			}
			if v := f.validate(f.dev, code, ValidateRequest{}); v.Balance == nil || *v.Balance != 40 {
				t.Fatalf("balance in the same period: %+v", v)
			}
			f.clock.Set(tt.after)
			if v := f.validate(f.dev, code, ValidateRequest{}); !v.Valid || *v.Balance != 100 {
				t.Fatalf("validate after the edge: %+v", v)
			}
			if r := f.redeem(f.dev, code, "c", 0, &Demand{Amount: 100}); !r.Redeemed || r.Discount.AmountOff != 100 {
				t.Fatalf("after the edge: %+v", r)
			}
			if v := f.view(code); v.TotalAmountRedeemed != 160 || v.RedemptionCount != 1 || v.LastResetAt == nil {
				t.Fatalf("voucher: %+v", v)
			}
		})
	}
}

func TestExpressions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := []struct {
		name string
		rule string
		code string
	}{
		{"syntax", "order.amount >=", models.EEXPRESSION},
		{"unknown field", "order.amout > 3", models.EEXPRESSION},
		{"not a bool", "order.amount", models.EEXPRESSION},
		{"huge", strings.Repeat("1 + ", 2000) + "1 > 0", models.EINVALID},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := models.Campaign{Name: "x", RedemptionRules: models.RedemptionRules{{Name: "r", Expr: tt.rule}}}
			c.SetDefaults()
			err := f.s.CreateCampaign(ctx, f.mgr, &c)
			if models.CodeOf(err) != tt.code {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
		})
	}
	dyn := f.campaign(models.Campaign{Type: "dynamic", ValueExpr: "order.amount >= 300 ? 100 : 50",
		RedemptionRules: models.RedemptionRules{{Name: "hours", Expr: "hour(now) >= 8", Message: "not before 8"}}})
	code := f.voucher(dyn, models.VoucherInput{})
	if r := f.redeem(f.dev, code, "a", 400, nil); r.Discount.AmountOff != 100 {
		t.Fatalf("dynamic 400: %+v", r)
	}
	if r := f.redeem(f.dev, code, "b", 30, nil); r.Discount.AmountOff != 30 {
		t.Fatalf("dynamic clamped: %+v", r)
	}
	f.clock.Set(time.Date(2026, 6, 10, 5, 30, 0, 0, time.UTC)) // 07:30 in Amsterdam
	if r := f.redeem(f.dev, code, "c", 400, nil); r.Reason != ReasonRuleFailed || r.Message != "not before 8" {
		t.Fatalf("rule in the voucher's zone: %+v", r)
	}
	_, err := f.s.UpdateCampaign(ctx, f.mgr, dyn.ID, &models.CampaignPatch{ValueExpr: ptr("order.amont")})
	if models.CodeOf(err) != models.EEXPRESSION {
		t.Fatalf("update with a bad valueExpr: %v", err)
	}
}

func TestInheritance(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 100})
	inherits := f.voucher(c, models.VoucherInput{})
	own := f.voucher(c, models.VoucherInput{Value: ptr[int64](7)})
	_, err := f.s.UpdateCampaign(ctx, f.mgr, c.ID, &models.CampaignPatch{VoucherValue: ptr[int64](250)})
	must(t, err)
	if a, b := f.view(inherits), f.view(own); a.Value != 250 || b.Value != 7 {
		t.Fatalf("values after campaign change: %d, %d", a.Value, b.Value)
	}
	rules := models.ValidationRules{{Field: "product", Value: "5"}, {Field: "product", Value: "7"}}
	must(t, f.s.SetValidationRules(ctx, f.mgr, c.ID, rules))
	v := f.validate(f.dev, inherits, ValidateRequest{})
	if !v.ValidFor.Products["5"] || !v.ValidFor.Products["7"] || len(v.ValidFor.Products) != 2 {
		t.Fatalf("validFor: %+v", v.ValidFor)
	}
	out, err := f.s.Redeem(ctx, f.dev, inherits, RedeemRequest{DeviceID: "host-1", Order: &Order{ID: "p",
		Items: []OrderItem{{ProductID: "5", Quantity: 1, Price: 120}, {ProductID: "9", Quantity: 3, Price: 500}}}})
	must(t, err)
	if !strings.Contains(string(out), `"amountOff":120`) {
		t.Fatalf("product rules limit the amount: %s", out)
	}
}

func TestLargeValues(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: models.MaxAmount, RedemptionLimit: models.MaxAmount})
	code := f.voucher(c, models.VoucherInput{})
	if r := f.redeem(f.dev, code, "big", 0, &Demand{Amount: models.MaxAmount - 1}); !r.Redeemed || r.Discount.AmountOff != models.MaxAmount-1 {
		t.Fatalf("large amounts: %+v", r)
	}
}
