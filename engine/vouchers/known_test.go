package vouchers

import (
	"context"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// A redeem decides on the row its device's validate read (known.go).
// Whatever happened to the voucher in between, the answer is the one a
// fresh read would give.
func TestRedeemAfterValidateSeesChanges(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		between func(f *fixture, c *models.Campaign, code string)
		want    string // the redeem's reason, "" for redeemed
	}{
		{name: "nothing", between: func(*fixture, *models.Campaign, string) {}},
		{name: "campaign switched off", want: ReasonInactive, between: func(f *fixture, c *models.Campaign, _ string) {
			_, err := f.s.UpdateCampaign(ctx, f.mgr, c.ID, &models.CampaignPatch{Status: ptr(models.StatusInactive)})
			must(f.t, err)
		}},
		{name: "limit used up elsewhere", want: ReasonLimitReached, between: func(f *fixture, _ *models.Campaign, code string) {
			if r := f.redeem(f.dev2, code, "elsewhere", 100, nil); !r.Redeemed {
				f.t.Fatalf("other device: %+v", r)
			}
		}},
		{name: "balance rolled back", between: func(f *fixture, _ *models.Campaign, code string) {
			f.redeem(f.dev2, code, "back", 100, nil)
			_, err := f.s.Rollback(ctx, f.dev2, code, RollbackRequest{DeviceID: "host-2", Order: struct {
				ID string `json:"id"`
			}{ID: "back"}})
			must(f.t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.campaign(models.Campaign{Type: models.CampaignDiscount, VoucherValue: 10, RedemptionLimit: 1})
			code := f.voucher(c, models.VoucherInput{})
			if v := f.validate(f.dev, code, ValidateRequest{}); !v.Valid {
				t.Fatalf("validate: %+v", v)
			}
			tt.between(f, c, code)
			r := f.redeem(f.dev, code, "mine", 100, nil)
			if r.Reason != tt.want || r.Redeemed != (tt.want == "") {
				t.Fatalf("redeem: %+v, want reason %q", r, tt.want)
			}
			if again := f.redeem(f.dev, code, "mine", 100, nil); again != r {
				t.Fatalf("retry: %+v, want %+v", again, r)
			}
			want := int64(0)
			if r.Redeemed {
				want = 1
			}
			if got := f.count(`SELECT count(*) FROM redemptions r JOIN vouchers v ON v.id = r.voucher
				WHERE v.code = ? AND r.order_id = 'mine'`, code); got != want {
				t.Fatalf("%d redemptions of the order, want %d", got, want)
			}
		})
	}
}

// A known row serves only callers of the group that read it, and only
// while the voucher is in their scope.
func TestKnownRowIsScoped(t *testing.T) {
	f := newFixture(t)
	code := f.voucher(f.campaign(models.Campaign{Type: models.CampaignDiscount, VoucherValue: 10}), models.VoucherInput{})
	f.validate(f.dev, code, ValidateRequest{})
	if _, ok := f.s.known.get(f.dev, code, time.Second); !ok {
		t.Fatal("the validate's read is not kept")
	}
	if _, ok := f.s.known.get(f.dev, code, time.Second); !ok {
		t.Fatal("a known row serves more than one redeem")
	}
	stranger := models.Scope{MachineID: 99, DeviceID: "host-1", GroupID: f.dev.GroupID + 1000, Groups: []int64{f.dev.GroupID + 1000}}
	if _, ok := f.s.known.get(stranger, code, time.Second); ok {
		t.Fatal("another group's caller got the known row")
	}
	outside := f.dev
	outside.Groups = []int64{f.dev.GroupID + 1000}
	if _, ok := f.s.known.get(outside, code, time.Second); ok {
		t.Fatal("a caller whose scope lost the voucher got the known row")
	}
	if _, ok := f.s.known.get(f.dev, code, 0); ok {
		t.Fatal("an expired known row served")
	}
}

// A validate answered from a known row shows this process's own writes at
// once (the group keeps the row it wrote), and a change made elsewhere
// within ValidateTTL; a refusal is never answered from a known row.
func TestValidateOnKnownRows(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 1000})
	code := f.voucher(c, models.VoucherInput{})
	f.validate(f.dev, code, ValidateRequest{})
	f.redeem(f.dev, code, "a", 300, &Demand{Amount: 300})
	if v := f.validate(f.dev, code, ValidateRequest{}); v.Balance == nil || *v.Balance != 700 {
		t.Fatalf("balance after the redeem: %+v, want 700", v.Balance)
	}
	// a change through another path (a manager, another replica) shows
	// within ValidateTTL; here at once with no TTL, and always for refusals
	_, err := f.s.UpdateCampaign(ctx, f.mgr, c.ID, &models.CampaignPatch{Status: ptr(models.StatusInactive)})
	must(t, err)
	f.s.ValidateTTL = 0
	if v := f.validate(f.dev, code, ValidateRequest{}); v.Valid || v.Reason != ReasonInactive {
		t.Fatalf("validate after the campaign was switched off: %+v", v)
	}
}
