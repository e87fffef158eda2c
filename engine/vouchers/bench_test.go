package vouchers

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
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

// BenchmarkValidate measures one validate (read batch + log), one at a
// time.
func BenchmarkValidate(b *testing.B) {
	f := newFixture(b)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	code := f.voucher(c, models.VoucherInput{})
	for b.Loop() {
		if _, err := f.s.Validate(context.Background(), f.dev, code, ValidateRequest{DeviceID: "host-1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedeem32 measures redeems by 32 goroutines, on a voucher each
// (distinct) or all on one gift voucher (hot). ns/op is the inverse of the
// throughput.
func BenchmarkRedeem32(b *testing.B) {
	for _, mode := range []string{"distinct", "hot"} {
		b.Run(mode, func(b *testing.B) {
			f := newFixture(b)
			c := f.campaign(models.Campaign{Type: "gift", VoucherValue: models.MaxAmount})
			codes := make([]string, 32)
			for i := range codes {
				if i == 0 || mode == "distinct" {
					codes[i] = f.voucher(c, models.VoucherInput{})
				} else {
					codes[i] = codes[0]
				}
			}
			var n atomic.Int64
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				code := codes[int(n.Add(1)-1)%len(codes)]
				for pb.Next() {
					_, err := f.s.Redeem(context.Background(), f.dev, code, RedeemRequest{DeviceID: "host-1",
						Order: &Order{ID: fmt.Sprint(n.Add(1)), Amount: 100}, Demand: &Demand{Amount: 1}})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
