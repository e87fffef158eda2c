package vouchers

import (
	"context"
	"slices"
	"testing"

	"github.com/vendrule/vendrule/models"
)

func TestCreateVoucherBatchAnswersItsOwnCodes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 500, Prefix: "B"})
	first, err := f.s.CreateVoucherBatch(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Count: 3})
	must(t, err)
	second, err := f.s.CreateVoucherBatch(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Count: 4})
	must(t, err)
	if len(first) != 3 || len(second) != 4 || !slices.IsSorted(second) {
		t.Fatalf("codes %v then %v", first, second)
	}
	for _, code := range second {
		if slices.Contains(first, code) || f.view(code).Campaign != c.ID {
			t.Fatalf("code %s of the second batch: first batch %v", code, first)
		}
	}
	one, err := f.s.CreateVoucherBatch(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Code: "ONE-CODE"})
	must(t, err)
	if !slices.Equal(one, []string{"ONE-CODE"}) {
		t.Fatalf("count 1: %v", one)
	}
}
