package vouchers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func TestValidFromInheritedAndOverridden(t *testing.T) {
	f := newFixture(t) // 2026-06-10 14:00 in Amsterdam
	c := f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 500, ValidFrom: ptr("2026-06-11")})
	later := f.voucher(c, models.VoucherInput{})
	now := f.voucher(c, models.VoucherInput{ValidFrom: ptr("2026-06-10")})
	if v := f.view(later); v.ValidFrom == nil || *v.ValidFrom != "2026-06-11" || !slices.Contains(v.Inherited, "validFrom") {
		t.Fatalf("inheriting view: %+v", v)
	}
	if r := f.validate(f.dev, later, ValidateRequest{}); r.Valid || r.Reason != ReasonNotYetValid {
		t.Fatalf("validate before validFrom: %+v", r)
	}
	if r := f.redeem(f.dev, later, f.order(), 100, nil); r.Redeemed || r.Reason != ReasonNotYetValid {
		t.Fatalf("redeem before validFrom: %+v", r)
	}
	if r := f.redeem(f.dev, now, f.order(), 100, nil); !r.Redeemed {
		t.Fatalf("own validFrom today: %+v", r)
	}
	f.clock.Set(time.Date(2026, 6, 10, 22, 30, 0, 0, time.UTC)) // 00:30 on the 11th in Amsterdam
	if r := f.redeem(f.dev, later, f.order(), 100, nil); !r.Redeemed {
		t.Fatalf("redeem on validFrom: %+v", r)
	}
}

func TestValidFromAfterExpiresOnIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := models.Campaign{Name: "x", VoucherValue: 5, ValidFrom: ptr("2026-07-02"), ExpiresOn: ptr("2026-07-01")}
	bad.SetDefaults()
	wantInvalid(t, f.s.CreateCampaign(ctx, f.mgr, &bad), "validFrom")
	c := f.campaign(models.Campaign{VoucherValue: 5, ExpiresOn: ptr("2026-07-01")})
	_, err := f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, ValidFrom: ptr("2026-07-02")})
	wantInvalid(t, err, "validFrom")
	code := f.voucher(c, models.VoucherInput{ValidFrom: ptr("2026-06-30T23:30:00Z")}) // 1 July in Amsterdam
	if v := f.view(code); *v.ValidFrom != "2026-07-01" {
		t.Fatalf("validFrom as a date of the zone: %v", *v.ValidFrom)
	}
	_, err = f.s.UpdateVoucher(ctx, f.mgr, f.view(code).ID, &models.VoucherPatch{ExpiresOn: ptr("2026-06-20")})
	wantInvalid(t, err, "validFrom")
}
