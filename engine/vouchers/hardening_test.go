package vouchers

import (
	"context"
	"encoding/json"
	"errors"

	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/quick"

	"github.com/vendrule/vendrule/models"
)

// The tests of issue 9 on the voucher engine: no request can mint money,
// one request's bad value cannot fail another's, a rolled-back order is not
// answered redeemed, and no expression runs inside the shared spend group.

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var e *models.Error
	if !errors.As(err, &e) || e.Code != models.EINVALID || e.Fields[field] == "" {
		t.Fatalf("err = %v, want EINVALID naming %s", err, field)
	}
}

// The reproduction of finding 2: items whose quantity × price and total
// overflow int64 paid out more than a gift voucher's value.
func TestOverflowingOrderIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gift := f.voucher(f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 1000}), models.VoucherInput{})
	disc := f.voucher(f.campaign(models.Campaign{Type: models.CampaignDiscount, VoucherValue: 5}), models.VoucherInput{})
	items := []OrderItem{{Quantity: 2, Price: 4611686018427387904}, {Quantity: 1, Price: 9223372036854774908}}
	_, err := f.s.Redeem(ctx, f.dev, gift, RedeemRequest{DeviceID: "host-1", Order: &Order{ID: "big", Items: items}})
	wantInvalid(t, err, "order.items[0].price")
	_, err = f.s.Validate(ctx, f.dev, disc, ValidateRequest{DeviceID: "host-1", Order: &Order{Items: items}})
	wantInvalid(t, err, "order.items[0].price")
	many := make([]OrderItem, models.MaxOrderItems)
	for i := range many {
		many[i] = OrderItem{Quantity: models.MaxQuantity, Price: models.MaxAmount}
	}
	_, err = f.s.Redeem(ctx, f.dev, gift, RedeemRequest{DeviceID: "host-1", Order: &Order{ID: "sum", Items: many}})
	wantInvalid(t, err, "order.items")
	if v := f.view(gift); v.AmountRedeemed != 0 || v.RedemptionCount != 0 {
		t.Fatalf("refused redeems changed the voucher: %+v", v)
	}
}

// randomOrder makes an order from raw random numbers, most of them far
// past every bound, some within.
func randomOrder(r *rand.Rand) *Order {
	num := func(max int64) int64 {
		switch r.IntN(4) {
		case 0:
			return r.Int64() - r.Int64() // anything
		case 1:
			return r.Int64N(max + 1)
		case 2:
			return max - r.Int64N(3) + 1
		}
		return r.Int64N(1000)
	}
	o := &Order{ID: "o", Amount: 0}
	if r.IntN(3) == 0 {
		o.Amount = num(models.MaxAmount)
	}
	for range r.IntN(5) {
		o.Items = append(o.Items, OrderItem{ProductID: []string{"a", "b"}[r.IntN(2)],
			Quantity: num(models.MaxQuantity), Price: num(models.MaxAmount)})
	}
	return o
}

// Property: whatever order is accepted, 0 ≤ amountOff ≤ what the voucher
// allows (its value, the eligible amount, the balance).
func TestAmountOffStaysWithinTheVoucher(t *testing.T) {
	prop := func(seed uint64, value, balance int64, dynamic float64, percent bool) bool {
		r := rand.New(rand.NewPCG(seed, 1))
		o := randomOrder(r)
		if checkOrderInput(o) != nil || !ValidOrder(o) {
			return true
		}
		value, balance = value&(1<<40-1)%models.MaxAmount, balance&(1<<40-1)%models.MaxAmount
		products := map[string]bool{"a": true}
		eligible := EligibleAmount(products, o)
		if eligible < 0 || o.Total() < 0 || o.Total() > models.MaxAmount {
			return false
		}
		ask := Ask{Order: o, Eligible: eligible, Dynamic: dynamic}
		disc := Settings{Type: models.CampaignDiscount, Value: value, ValueType: models.ValueCents}
		if percent {
			disc.Value, disc.ValueType = 1+value%100, models.ValuePercent
		}
		for _, c := range []struct {
			s       Settings
			balance int64
			max     int64
		}{
			{disc, 0, eligible},
			{Settings{Type: models.CampaignGift, Value: value}, balance, min(balance, eligible)},
			{Settings{Type: models.CampaignDynamic}, 0, eligible},
		} {
			got := AmountOff(c.s, c.balance, ask)
			if got < 0 || got > c.max || (c.s.ValueType == models.ValueCents && c.s.Type == models.CampaignDiscount && got > value) {
				t.Logf("%+v on %+v: amountOff %d, want 0..%d", c.s, o, got, c.max)
				return false
			}
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 20000}); err != nil {
		t.Fatal(err)
	}
}

// Property over the real engine: random redeems (orders and demands of any
// size) of one gift voucher never raise its balance, never pay a negative
// amount, and never pay more than the balance before them.
func TestRedeemNeverRaisesTheBalance(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const value = 5000
	gift := f.voucher(f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: value}), models.VoucherInput{})
	r := rand.New(rand.NewPCG(9, 9))
	balance := int64(value)
	for i := range 150 {
		o := randomOrder(r)
		o.ID = f.order()
		var d *Demand
		if i%3 == 0 {
			d = &Demand{Amount: randomOrder(r).Amount}
		}
		out, err := f.s.Redeem(ctx, f.dev, gift, RedeemRequest{DeviceID: "host-1", Order: o, Demand: d})
		var resp RedeemResponse
		if err == nil {
			must(t, json.Unmarshal(out, &resp))
		} else if models.CodeOf(err) != models.EINVALID {
			t.Fatalf("redeem %+v: %v", o, err)
		}
		now := value - f.view(gift).AmountRedeemed
		if now > balance || now < 0 || resp.Discount.AmountOff < 0 || resp.Discount.AmountOff > balance ||
			balance-now != resp.Discount.AmountOff {
			t.Fatalf("redeem %+v / %+v: amountOff %d moved the balance %d → %d", o, d, resp.Discount.AmountOff, balance, now)
		}
		balance = now
	}
}

// Finding 3: a redeem replayed after its rollback got redeemed true for
// nothing. Decided: it answers redeemed false, reason rolled_back, and the
// balance stays; a new order redeems (and is charged) as usual.
func TestRedeemAfterRollbackIsNotFree(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gift := f.voucher(f.campaign(models.Campaign{Type: models.CampaignGift, VoucherValue: 1000}), models.VoucherInput{})
	if r := f.redeem(f.dev, gift, "same", 600, nil); !r.Redeemed || r.Discount.AmountOff != 600 {
		t.Fatalf("first redeem: %+v", r)
	}
	rb, err := f.s.Rollback(ctx, f.dev, gift, RollbackRequest{DeviceID: "host-1", Order: struct {
		ID string `json:"id"`
	}{ID: "same"}})
	must(t, err)
	if !rb.RolledBack {
		t.Fatalf("rollback: %+v", rb)
	}
	for range 3 {
		r := f.redeem(f.dev, gift, "same", 600, nil)
		if r.Redeemed || r.Reason != ReasonRolledBack || r.Discount.AmountOff != 0 {
			t.Fatalf("replay after rollback: %+v", r)
		}
	}
	if v := f.view(gift); v.AmountRedeemed != 0 {
		t.Fatalf("amount redeemed after replays: %d, want 0", v.AmountRedeemed)
	}
	// the relock path (a redeem that finds the rollback under the row lock)
	// answers the same
	out, stale, err := f.s.redeemOnce(ctx, f.dev, gift, RedeemRequest{DeviceID: "host-1",
		Order: &Order{ID: "same", Amount: 600}}, nil, false)
	must(t, err)
	var r RedeemResponse
	must(t, json.Unmarshal(out, &r))
	if stale || r.Redeemed || r.Reason != ReasonRolledBack {
		t.Fatalf("locked replay after rollback: %s", out)
	}
	if r := f.redeem(f.dev, gift, "next", 600, nil); !r.Redeemed || r.Discount.AmountOff != 600 {
		t.Fatalf("a new order: %+v", r)
	}
	if v := f.view(gift); v.AmountRedeemed != 600 {
		t.Fatalf("amount redeemed: %d, want 600", v.AmountRedeemed)
	}
}

// Finding 4 (the voucher side): the spend group never evaluates an
// expression. A redeem whose verdict no longer holds (here the second
// redeem of a voucher in one group, which sees the first one's counters)
// leaves the group and is decided outside it.
func TestSpendGroupEvaluatesNoExpression(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: models.CampaignDiscount, VoucherValue: 10, RedemptionRules: models.RedemptionRules{
		{Name: "few", Expr: "voucher.redemptionCount < 3"}}})
	code := f.voucher(c, models.VoucherInput{})
	a, b := f.readSpend(f.dev, code, "a", 100, nil), f.readSpend(f.dev, code, "b", 100, nil)
	none := f.readSpend(f.dev, code, "c", 100, nil)
	none.vd = nil // never evaluated
	out := f.spendGroup(a, b, none)
	if r := answer(t, out[0]); !r.Redeemed {
		t.Fatalf("first redeem: %+v", r)
	}
	if !out[1].relock || !out[2].relock {
		t.Fatalf("redeems whose verdict does not hold stayed in the group: %+v", out[1:])
	}
	// outside the group, concurrent redeems still stop exactly at the rule
	var wg sync.WaitGroup
	var redeemed atomic.Int64
	for i := range 24 {
		wg.Go(func() {
			sc := f.dev
			if i%2 == 1 {
				sc = f.dev2
			}
			r := f.redeem(sc, code, f.order(), 100, nil)
			if r.Redeemed {
				redeemed.Add(1)
			} else if r.Reason != ReasonRuleFailed {
				t.Errorf("refusal: %+v", r)
			}
		})
	}
	wg.Wait()
	if redeemed.Load() != 2 || f.view(code).RedemptionCount != 3 {
		t.Fatalf("redeemed %d more (count %d), want 2 more up to 3", redeemed.Load(), f.view(code).RedemptionCount)
	}
}

// Defence in depth for finding 1: a value PostgreSQL refuses that gets past
// the edge checks fails only its own request, not the group it shares.
func TestBadItemFailsOnlyItself(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	code := f.voucher(f.campaign(models.Campaign{Type: models.CampaignDiscount, VoucherValue: 10}), models.VoucherInput{})
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad, sent atomic.Int64
	wg.Go(func() {
		for !stop.Load() {
			// straight into the read group, as if the edge had let it through
			_, err := f.s.reads.Do(ctx, readItem{groups: f.dev.Groups, deviceID: "host-1", code: "ATK-\xff\x00"})
			sent.Add(1)
			if err == nil {
				bad.Add(1)
			}
		}
	})
	var failed atomic.Int64
	var honest sync.WaitGroup
	for range 8 {
		honest.Go(func() {
			for range 20 {
				if _, err := f.tryRedeem(f.dev, code, f.order(), 100, nil); err != nil {
					failed.Add(1)
					t.Errorf("honest redeem: %v", err)
				}
			}
		})
	}
	honest.Wait()
	stop.Store(true)
	wg.Wait()
	if failed.Load() != 0 || bad.Load() != 0 || sent.Load() == 0 {
		t.Fatalf("%d honest redeems failed; %d of %d bad reads succeeded", failed.Load(), bad.Load(), sent.Load())
	}
	if got := f.view(code).RedemptionCount; got != 160 {
		t.Fatalf("redemption count %d, want 160", got)
	}
}
