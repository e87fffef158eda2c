package vouchers

import (
	"context"
	"fmt"
	"testing"

	"github.com/vendrule/vendrule/models"
)

// BenchmarkGenerate100k measures one generation of 100 000 codes (goal:
// under 10 s).
func BenchmarkGenerate100k(b *testing.B) {
	f := newFixture(b)
	for b.Loop() {
		f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, TotalVouchers: 100_000})
	}
}

// BenchmarkRedeem measures one redeem of distinct vouchers, one at a time.
func BenchmarkRedeem(b *testing.B) {
	f := newFixture(b)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, RedemptionLimit: 0})
	code := f.voucher(c, models.VoucherInput{})
	i := 0
	for b.Loop() {
		i++
		_, err := f.s.Redeem(context.Background(), f.dev, code, RedeemRequest{DeviceID: "host-1",
			Order: &Order{ID: fmt.Sprint(i), Amount: 100}})
		if err != nil {
			b.Fatal(err)
		}
	}
}
