package vouchers

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// readSpend reads one redeem as Service.redeem does and returns it as an
// item for spendBatch, without writing anything.
func (f *fixture) readSpend(sc models.Scope, code, order string, amount int64, demand *Demand) *spend {
	f.t.Helper()
	req := RedeemRequest{DeviceID: sc.DeviceID, Order: &Order{ID: order, Amount: amount}, Demand: demand}
	readAt := time.Now()
	rd, err := f.s.readRedeem(context.Background(), sc, code, req)
	must(f.t, err)
	if rd.t == nil || rd.out != nil {
		f.t.Fatalf("read of %s/%s is answered already: %s", code, order, rd.out)
	}
	return &spend{sc: sc, req: req, rd: rd, startedAt: readAt, readAt: readAt, vd: f.s.judgeRead(context.Background(), rd, req).verdict}
}

// spendGroup decides and writes items as one group.
func (f *fixture) spendGroup(items ...*spend) []spent {
	f.t.Helper()
	out, err := f.s.spendBatch(context.Background(), items)
	must(f.t, err)
	if len(out) != len(items) {
		f.t.Fatalf("%d outcomes for %d items", len(out), len(items))
	}
	return out
}

// answer decodes a group's answer to one item, which must not be a relock.
func answer(t testing.TB, s spent) RedeemResponse {
	t.Helper()
	if s.relock {
		t.Fatal("relock, want an answer")
	}
	var r RedeemResponse
	must(t, json.Unmarshal(s.out, &r))
	return r
}

// stored returns the redemption rows and redeem log rows of a voucher.
func (f *fixture) stored(code string) (redemptions, logs int64) {
	f.t.Helper()
	return f.count(`SELECT count(*) FROM redemptions r JOIN vouchers v ON v.id = r.voucher WHERE v.code = ?`, code),
		f.count(`SELECT count(*) FROM voucher_logs l JOIN vouchers v ON v.id = l.voucher
			WHERE v.code = ? AND l.action = 'redeem'`, code)
}

// Five redeems of a limit-3 voucher in one group: the first three are
// redeemed, the others see the row the first three left (limit_reached).
func TestSpendGroupLimit(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, RedemptionLimit: 3})
	code := f.voucher(c, models.VoucherInput{})
	var items []*spend
	for range 5 {
		items = append(items, f.readSpend(f.dev, code, f.order(), 100, nil))
	}
	for i, s := range f.spendGroup(items...) {
		r := answer(t, s)
		if want := i < 3; r.Redeemed != want || (!want && r.Reason != ReasonLimitReached) {
			t.Fatalf("redeem %d = %+v", i, r)
		}
	}
	red, logs := f.stored(code)
	if v := f.view(code); v.RedemptionCount != 3 || red != 3 || logs != 5 {
		t.Fatalf("count %d, %d redemptions, %d logs; want 3, 3, 5", v.RedemptionCount, red, logs)
	}
}

// A gift of 100 and three demands of 40 in one group: 40, 40 and the 20
// that is left (partial cover); the balance ends at 0, never below.
func TestSpendGroupGiftPartialCover(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100})
	code := f.voucher(c, models.VoucherInput{})
	var items []*spend
	for range 3 {
		items = append(items, f.readSpend(f.dev, code, f.order(), 40, &Demand{Amount: 40}))
	}
	for i, s := range f.spendGroup(items...) {
		if r := answer(t, s); !r.Redeemed || r.Discount.AmountOff != []int64{40, 40, 20}[i] {
			t.Fatalf("redeem %d = %+v", i, r)
		}
	}
	v := f.view(code)
	sum := f.count(`SELECT coalesce(sum(amount), 0) FROM redemptions WHERE voucher = ?`, v.ID)
	if v.AmountRedeemed != 100 || v.Balance != 0 || sum != 100 {
		t.Fatalf("voucher = %+v, redemptions sum to %d", v, sum)
	}
	if r := f.redeem(f.dev, code, f.order(), 40, &Demand{Amount: 40}); r.Redeemed || r.Reason != ReasonInsufficientBalance {
		t.Fatalf("redeem of an empty gift = %+v", r)
	}
}

// A voucher changed after the reads is not written and its items relock,
// while the other voucher of the group is written; the public Redeem of a
// relocked item then redeems it.
func TestSpendGroupConflictRelocksOneVoucher(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	changed, kept := f.voucher(c, models.VoucherInput{}), f.voucher(c, models.VoucherInput{})
	items := []*spend{f.readSpend(f.dev, changed, f.order(), 100, nil), f.readSpend(f.dev, kept, f.order(), 100, nil),
		f.readSpend(f.dev2, changed, f.order(), 100, nil)}
	must(t, f.s.DB.Exec(`UPDATE vouchers SET updated_at = now() WHERE code = ?`, changed).Error)
	out := f.spendGroup(items...)
	if !out[0].relock || !out[2].relock || !answer(t, out[1]).Redeemed {
		t.Fatalf("outcomes = %+v", out)
	}
	if red, logs := f.stored(changed); f.view(changed).RedemptionCount != 0 || red != 0 || logs != 0 {
		t.Fatalf("changed voucher written: %d redemptions, %d logs", red, logs)
	}
	if red, logs := f.stored(kept); f.view(kept).RedemptionCount != 1 || red != 1 || logs != 1 {
		t.Fatalf("kept voucher: %d redemptions, %d logs", red, logs)
	}
	if r := f.redeem(f.dev, changed, items[0].req.Order.ID, 100, nil); !r.Redeemed || r.Discount.AmountOff != 10 {
		t.Fatalf("redeem after relock = %+v", r)
	}
	if red, logs := f.stored(changed); f.view(changed).RedemptionCount != 1 || red != 1 || logs != 1 {
		t.Fatalf("after the redeem: %d redemptions, %d logs", red, logs)
	}
}

// A retry of one (deviceId, order.id) in the same group spends once and
// gets the first answer's bytes.
func TestSpendGroupRetryOfOneOrder(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 1000})
	code := f.voucher(c, models.VoucherInput{})
	out := f.spendGroup(f.readSpend(f.dev, code, "same", 70, nil), f.readSpend(f.dev, code, "same", 70, nil))
	if r := answer(t, out[0]); !r.Redeemed || !bytes.Equal(out[0].out, out[1].out) {
		t.Fatalf("answers %s and %s", out[0].out, out[1].out)
	}
	red, logs := f.stored(code)
	if v := f.view(code); v.RedemptionCount != 1 || v.AmountRedeemed != 70 || red != 1 || logs != 2 {
		t.Fatalf("voucher %+v, %d redemptions, %d logs", v, red, logs)
	}
}

// An order committed after the group's items were read (a retry that
// raced ahead) sends only its own voucher's items to the row lock: the
// other vouchers of the group are written as usual, and the public Redeem
// of that order then returns the earlier answer's bytes.
func TestSpendGroupOrderCommittedFirst(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	code, other := f.voucher(c, models.VoucherInput{}), f.voucher(c, models.VoucherInput{})
	items := []*spend{f.readSpend(f.dev, code, "x", 100, nil), f.readSpend(f.dev, other, "y", 100, nil)}
	first, err := f.s.Redeem(context.Background(), f.dev, code, items[0].req) // writes s.written: same version
	must(t, err)
	out := f.spendGroup(items...)
	if !out[0].relock {
		t.Fatalf("retried order = %s, want relock", out[0].out)
	}
	if r := answer(t, out[1]); !r.Redeemed {
		t.Fatalf("other voucher: %+v", r)
	}
	if red, logs := f.stored(code); f.view(code).RedemptionCount != 1 || red != 1 || logs != 1 {
		t.Fatalf("voucher written again: %d redemptions, %d logs", red, logs)
	}
	if red, logs := f.stored(other); f.view(other).RedemptionCount != 1 || red != 1 || logs != 1 {
		t.Fatalf("other voucher: %d redemptions, %d logs, want 1 each", red, logs)
	}
	again, err := f.s.Redeem(context.Background(), f.dev, code, items[0].req)
	must(t, err)
	if !bytes.Equal(again, first) || f.view(code).RedemptionCount != 1 {
		t.Fatalf("retry answered %s, want %s", again, first)
	}
}

// A campaign changed after the group's items were read (its value here)
// makes its vouchers' items relock: a group never writes on campaign
// settings older than the campaign row.
func TestSpendGroupCampaignChanged(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	code := f.voucher(c, models.VoucherInput{})
	item := f.readSpend(f.dev, code, f.order(), 100, nil)
	must(t, f.s.DB.Exec(`UPDATE campaigns SET voucher_value = 20 WHERE id = ?`, c.ID).Error)
	if out := f.spendGroup(item); !out[0].relock {
		t.Fatalf("item = %s, want relock", out[0].out)
	}
	if red, _ := f.stored(code); red != 0 {
		t.Fatalf("%d redemptions written on the old campaign", red)
	}
	if r := f.redeem(f.dev, code, item.req.Order.ID, 100, nil); !r.Redeemed || r.Discount.AmountOff != 20 {
		t.Fatalf("redeem = %+v, want 20 off", r)
	}
}

// A group whose item was read before the previous group wrote the voucher
// decides on the row that group wrote (s.written) and writes, where a
// process that did not write it relocks on the stale version.
func TestSpendGroupHandOver(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, RedemptionLimit: 5})
	code := f.voucher(c, models.VoucherInput{})
	early, stale := f.readSpend(f.dev, code, f.order(), 100, nil), f.readSpend(f.dev2, code, f.order(), 100, nil)
	if r := answer(t, f.spendGroup(f.readSpend(f.dev, code, f.order(), 100, nil))[0]); !r.Redeemed {
		t.Fatalf("group A = %+v", r)
	}
	if r := answer(t, f.spendGroup(early)[0]); !r.Redeemed {
		t.Fatalf("group after the hand-over = %+v", r)
	}
	replica := New(f.s.DB)
	replica.Now = f.clock.Now
	t.Cleanup(replica.Close)
	if out, err := replica.spendBatch(context.Background(), []*spend{stale}); err != nil || !out[0].relock {
		t.Fatalf("stale read on another process = %+v, %v; want relock", out, err)
	}
	red, logs := f.stored(code)
	if v := f.view(code); v.RedemptionCount != 2 || v.TotalRedemptionCount != 2 || red != 2 || logs != 2 {
		t.Fatalf("voucher %+v, %d redemptions, %d logs", v, red, logs)
	}
}

// Refusals of vouchers with no redeem accepted in the group (expired,
// inactive) are logged even though another voucher of the group relocks.
func TestSpendGroupRefusalsWritten(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	expired := f.voucher(c, models.VoucherInput{ExpiresOn: ptr("2026-06-09")})
	inactive := f.voucher(c, models.VoucherInput{Status: models.StatusInactive})
	changed := f.voucher(c, models.VoucherInput{})
	items := []*spend{f.readSpend(f.dev, expired, f.order(), 100, nil), f.readSpend(f.dev, changed, f.order(), 100, nil),
		f.readSpend(f.dev, inactive, f.order(), 100, nil)}
	must(t, f.s.DB.Exec(`UPDATE vouchers SET updated_at = now() WHERE code = ?`, changed).Error)
	out := f.spendGroup(items...)
	if r := answer(t, out[0]); r.Redeemed || r.Reason != ReasonExpired {
		t.Fatalf("expired = %+v", r)
	}
	if r := answer(t, out[2]); r.Redeemed || r.Reason != ReasonInactive {
		t.Fatalf("inactive = %+v", r)
	}
	if !out[1].relock {
		t.Fatalf("changed voucher = %s, want relock", out[1].out)
	}
	for code, want := range map[string]int64{expired: 1, inactive: 1, changed: 0} {
		if red, logs := f.stored(code); red != 0 || logs != want {
			t.Fatalf("%s: %d redemptions, %d logs; want 0, %d", code, red, logs, want)
		}
	}
	if n := f.count(`SELECT count(*) FROM voucher_logs l JOIN vouchers v ON v.id = l.voucher
		WHERE v.code = ? AND l.success = 0 AND l.response = ?`, expired, string(out[0].out)); n != 1 {
		t.Fatalf("expired voucher's log does not hold its answer")
	}
}

// A refusal in a group whose write fails on the unique key is either
// logged or redone: its answer never goes out without its log.
func TestSpendGroupUniqueViolationKeepsRefusalLog(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	code, expired := f.voucher(c, models.VoucherInput{}), f.voucher(c, models.VoucherInput{ExpiresOn: ptr("2026-06-09")})
	items := []*spend{f.readSpend(f.dev, code, "x", 100, nil), f.readSpend(f.dev, expired, f.order(), 100, nil)}
	_, err := f.s.Redeem(context.Background(), f.dev, code, items[0].req)
	must(t, err)
	out := f.spendGroup(items...)
	if !out[0].relock {
		t.Fatalf("committed order = %s, want relock", out[0].out)
	}
	if _, logs := f.stored(expired); !out[1].relock && logs != 1 {
		t.Fatalf("expired voucher answered %s with %d logs and no relock", out[1].out, logs)
	}
}

// 48 concurrent redeems at a time of 37 across three gifts of 1000, until
// all are empty: each gift gives exactly 1000, in as many redemption rows
// as redeemed answers.
func TestSpendConcurrentGifts(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 1000})
	codes := []string{f.voucher(c, models.VoucherInput{}), f.voucher(c, models.VoucherInput{}),
		f.voucher(c, models.VoucherInput{})}
	var writes atomic.Int64
	f.s.beforeWrite = func() { writes.Add(1) }
	var mu sync.Mutex
	sum, redeemed := map[string]int64{}, map[string]int64{}
	for round := 0; ; round++ {
		if round == 10 {
			t.Fatalf("gifts not empty after %d rounds: %v", round, sum)
		}
		var wg sync.WaitGroup
		for g := range 48 {
			wg.Go(func() {
				code, sc := codes[g%3], []models.Scope{f.dev, f.dev2}[g%2]
				r, err := f.tryRedeem(sc, code, f.order(), 37, &Demand{Amount: 37})
				switch {
				case err != nil:
					t.Error(err)
				case !r.Redeemed && (r.Reason != ReasonInsufficientBalance || r.Discount.AmountOff != 0):
					t.Errorf("refusal %+v", r)
				case r.Redeemed:
					mu.Lock()
					sum[code], redeemed[code] = sum[code]+r.Discount.AmountOff, redeemed[code]+1
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		empty := 0
		for _, code := range codes {
			if f.view(code).Balance == 0 {
				empty++
			}
		}
		if empty == len(codes) {
			t.Logf("%d rounds of 48 redeems, %d group writes", round+1, writes.Load())
			break
		}
	}
	for _, code := range codes {
		v := f.view(code)
		red, _ := f.stored(code)
		if sum[code] != 1000 || v.AmountRedeemed != 1000 || red != redeemed[code] || v.RedemptionCount != red {
			t.Fatalf("%s: answers took %d in %d redeems; stored %d in %d rows (count %d)", code, sum[code],
				redeemed[code], v.AmountRedeemed, red, v.RedemptionCount)
		}
	}
}
