package vouchers

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// growingTables are the tables of the hot path that grow with use.
var growingTables = []string{"vouchers", "redemptions", "voucher_logs"}

// seqScans returns the sequential scans counted so far of each growing
// table.
func (f *fixture) seqScans() map[string]int64 {
	f.t.Helper()
	out := map[string]int64{}
	for _, tb := range growingTables {
		must(f.t, f.s.DB.Exec(`SELECT pg_stat_clear_snapshot()`).Error)
		out[tb] = f.count(`SELECT coalesce(seq_scan, 0) FROM pg_stat_user_tables WHERE relname = ?`, tb)
	}
	return out
}

// hammer runs n validate + redeem pairs, 16 at a time, over codes.
func (f *fixture) hammer(codes []string, n int) {
	f.t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			code := codes[i%len(codes)]
			f.validate(f.dev, code, ValidateRequest{Order: &Order{Amount: 100}})
			if r := f.redeem(f.dev, code, f.order(), 100, nil); !r.Redeemed {
				f.t.Errorf("redeem: %+v", r)
			}
		})
	}
	wg.Wait()
}

// Issue 10: the plans of the hot path must use their indexes whatever the
// statistics said when they were made. The tables are analyzed empty, the
// hot pool's connections make their plans, redemptions and logs grow by
// 100 000 rows (without ANALYZE, as where autovacuum is off), and then no
// hot-path statement may scan a growing table.
func TestHotPathPlansSurviveGrowth(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: models.CampaignDiscount, VoucherValue: 10, TotalVouchers: 40})
	var codes []string
	must(t, f.s.DB.Raw(`SELECT code FROM vouchers WHERE campaign = ?`, c.ID).Scan(&codes).Error)
	must(t, f.s.DB.Exec(`ANALYZE`).Error)
	f.hammer(codes, 64) // every hot connection plans now, on the empty tables

	must(t, f.s.DB.Exec(`INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine,
			location, amount, response)
		SELECT v.user_group, v.id, v.campaign, 'host-1', 'old-' || g, ?, ?, 1, '{}'
		FROM generate_series(1, 100000) g JOIN vouchers v ON v.code = ?`, f.machine, f.loc, codes[0]).Error)
	must(t, f.s.DB.Exec(`INSERT INTO voucher_logs (user_group, voucher, requester, action, success, request, response)
		SELECT v.user_group, v.id, 'host-1', 'redeem', 1, '{}', '{}'
		FROM generate_series(1, 100000) g JOIN vouchers v ON v.code = ?`, codes[0]).Error)
	time.Sleep(1100 * time.Millisecond) // backends report their statistics at most once a second
	before := f.seqScans()
	f.hammer(codes, 200)
	// a hot connection's own redeem under the row lock, too
	_, _, err := f.s.redeemOnce(ctx, f.dev, codes[1], RedeemRequest{DeviceID: "host-1",
		Order: &Order{ID: "locked", Amount: 100}}, nil, false)
	must(t, err)
	time.Sleep(1100 * time.Millisecond)
	after := f.seqScans()
	for _, tb := range growingTables {
		if n := after[tb] - before[tb]; n != 0 {
			t.Errorf("%d sequential scans of %s by the hot path after it grew", n, tb)
		}
	}
}
