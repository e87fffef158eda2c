package vouchers

import (
	"context"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/models"
)

func TestCodesAreCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 500, Prefix: "ab", TotalVouchers: 2})
	if code := f.voucher(c, models.VoucherInput{}); !strings.HasPrefix(code, "AB-") {
		t.Fatalf("generated code %q", code)
	}
	if code := f.voucher(c, models.VoucherInput{Code: "my-code"}); code != "MY-CODE" {
		t.Fatalf("custom code stored as %q", code)
	}
	if v := f.validate(f.dev, "my-code", ValidateRequest{LockDuration: 30}); !v.Valid {
		t.Fatalf("lower-case validate: %+v", v)
	}
	if r := f.redeem(f.dev, "My-Code", "o-1", 100, nil); !r.Redeemed {
		t.Fatalf("mixed-case redeem: %+v", r)
	}
	req := RollbackRequest{DeviceID: "host-1"}
	req.Order.ID = "o-1"
	rb, err := f.s.Rollback(ctx, f.dev, "my-code", req)
	must(t, err)
	if !rb.RolledBack {
		t.Fatalf("lower-case rollback: %+v", rb)
	}
	f.validate(f.dev, "MY-code", ValidateRequest{LockDuration: 30})
	un, err := f.s.Unlock(ctx, f.dev, "my-code", UnlockRequest{DeviceID: "host-1"})
	must(t, err)
	if !un.Unlocked {
		t.Fatalf("lower-case unlock: %+v", un)
	}
	_, err = f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Code: "MY-code"})
	if models.CodeOf(err) != models.ECONFLICT {
		t.Fatalf("a code differing only by case: %v", err)
	}
}
