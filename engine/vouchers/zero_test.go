package vouchers

import (
	"context"
	"testing"

	"github.com/vendrule/vendrule/models"
)

func TestZeroValueRefusedAtCreateAndUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gen := models.Campaign{Name: "g", TotalVouchers: 3}
	gen.SetDefaults()
	wantInvalid(t, f.s.CreateCampaign(ctx, f.mgr, &gen), "voucherValue")

	empty := f.campaign(models.Campaign{Type: models.CampaignDiscount})
	_, err := f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: empty.ID})
	wantInvalid(t, err, "value")
	_, err = f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: empty.ID, Value: ptr(int64(0))})
	wantInvalid(t, err, "value")
	code := f.voucher(empty, models.VoucherInput{Value: ptr(int64(50))})
	_, err = f.s.UpdateVoucher(ctx, f.mgr, f.view(code).ID, &models.VoucherPatch{Inherit: []string{"value"}})
	wantInvalid(t, err, "value")

	paid := f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 500})
	f.voucher(paid, models.VoucherInput{})
	_, err = f.s.UpdateCampaign(ctx, f.mgr, paid.ID, &models.CampaignPatch{VoucherValue: ptr(int64(0))})
	wantInvalid(t, err, "voucherValue")
}

func TestZeroAmountIsNotARedemption(t *testing.T) {
	f := newFixture(t)
	dyn := f.campaign(models.Campaign{Type: models.CampaignDynamic, ValueExpr: "order.amount > 100 ? 0 : 20"})
	gift := f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 500})
	tests := []struct {
		name   string
		code   string
		amount int64
		demand *Demand
	}{
		{"dynamic value 0", f.voucher(dyn, models.VoucherInput{}), 300, nil},
		{"gift demand 0", f.voucher(gift, models.VoucherInput{}), 300, &Demand{Amount: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.redeem(f.dev, tt.code, f.order(), tt.amount, tt.demand)
			if r.Redeemed || r.Reason != ReasonZeroAmount {
				t.Fatalf("redeem: %+v, want zero_amount", r)
			}
			if v := f.view(tt.code); v.RedemptionCount != 0 || v.AmountRedeemed != 0 {
				t.Fatalf("counted: %+v", v)
			}
		})
	}
	code := f.voucher(dyn, models.VoucherInput{})
	if r := f.redeem(f.dev, code, f.order(), 50, nil); !r.Redeemed || r.Discount.AmountOff != 20 {
		t.Fatalf("a paying redeem: %+v", r)
	}
}
