package vouchers

import (
	"context"
	"testing"

	"github.com/vendrule/vendrule/models"
)

// The redemptions and logs have no foreign keys (migrations 00009, 00011);
// a trigger on vouchers does what the cascade did: deleting a voucher or
// its campaign still removes them.
func TestDeleteRemovesRedemptionsAndLogs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100})
	c2 := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100})
	codes := []string{f.voucher(c, models.VoucherInput{}), f.voucher(c, models.VoucherInput{}),
		f.voucher(c2, models.VoucherInput{})}
	for _, code := range codes {
		f.validate(f.dev, code, ValidateRequest{})
		if r := f.redeem(f.dev, code, f.order(), 10, &Demand{Amount: 10}); !r.Redeemed {
			t.Fatalf("redeem = %+v", r)
		}
	}
	left := func() (int64, int64) {
		return f.count(`SELECT count(*) FROM redemptions`), f.count(`SELECT count(*) FROM voucher_logs`)
	}
	if r, l := left(); r != 3 || l != 6 {
		t.Fatalf("%d redemptions, %d logs, want 3 and 6", r, l)
	}
	must(t, f.s.DeleteVoucher(ctx, f.mgr, f.view(codes[2]).ID))
	if r, l := left(); r != 2 || l != 4 {
		t.Fatalf("after deleting a voucher: %d redemptions, %d logs, want 2 and 4", r, l)
	}
	must(t, f.s.DeleteCampaign(ctx, f.mgr, c.ID))
	if r, l := left(); r != 0 || l != 0 {
		t.Fatalf("after deleting the campaign: %d redemptions, %d logs, want none", r, l)
	}
}
