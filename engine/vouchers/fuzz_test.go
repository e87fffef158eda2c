package vouchers

import (
	"testing"

	"github.com/vendrule/vendrule/models"
)

// FuzzOrderArithmetic checks the order arithmetic on any numbers: an order
// the edge accepts has a total within MaxAmount, and every campaign type
// pays from 0 to what it allows; nothing panics.
func FuzzOrderArithmetic(f *testing.F) {
	f.Add(int64(0), int64(2), int64(4611686018427387904), int64(1), int64(9223372036854774908), int64(1000), int64(50))
	f.Add(int64(500), int64(1), int64(100), int64(3), int64(200), int64(0), int64(100))
	f.Add(int64(-5), int64(-1), int64(-1), int64(0), int64(0), int64(-1), int64(0))
	f.Add(int64(models.MaxAmount), int64(models.MaxQuantity), int64(models.MaxAmount), int64(1), int64(1), int64(7), int64(101))
	f.Fuzz(func(t *testing.T, amount, q1, p1, q2, p2, balance, value int64) {
		o := &Order{ID: "o", Amount: amount, Items: []OrderItem{{ProductID: "a", Quantity: q1, Price: p1},
			{ProductID: "b", Quantity: q2, Price: p2}}}
		if checkOrderInput(o) != nil || !ValidOrder(o) {
			return
		}
		total := o.Total()
		if total < 0 || total > models.MaxAmount {
			t.Fatalf("total %d of an accepted order %+v", total, o)
		}
		eligible := EligibleAmount(map[string]bool{"a": true}, o)
		if eligible < 0 || eligible > total && o.Amount == 0 {
			t.Fatalf("eligible %d of total %d", eligible, total)
		}
		ask := Ask{Order: o, Eligible: eligible, Dynamic: float64(value)}
		for _, s := range []Settings{
			{Type: models.CampaignDiscount, Value: value, ValueType: models.ValueCents},
			{Type: models.CampaignDiscount, Value: value, ValueType: models.ValuePercent},
			{Type: models.CampaignGift, Value: value},
			{Type: models.CampaignDynamic},
		} {
			got := AmountOff(s, balance, ask)
			limit := eligible
			if s.Type == models.CampaignGift {
				limit = max(0, min(eligible, balance))
			}
			if got < 0 || got > limit && s.ValueType != models.ValuePercent {
				t.Fatalf("%s/%s: amountOff %d, want 0..%d", s.Type, s.ValueType, got, limit)
			}
		}
	})
}

// FuzzDeviceRequest checks the edge checks of device requests on any text
// and numbers: what they accept is text PostgreSQL can store, within the
// bounds.
func FuzzDeviceRequest(f *testing.F) {
	f.Add("ATK-\xff", "host-1", "a\x00b", "p", int64(1), int64(5), int64(10))
	f.Add("CODE-1234", "host-1", "o-1", "5", int64(2), int64(120), int64(0))
	f.Add("", "", "", "", int64(-1), int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, code, device, order, product string, qty, price, demand int64) {
		o := &Order{ID: order, Items: []OrderItem{{ProductID: product, Quantity: qty, Price: price}}}
		if checkRequest(code, device, o, &Demand{Amount: demand}) != nil {
			return
		}
		for _, s := range []string{code, device, order, product} {
			if models.CheckText("s", s, models.MaxText) != nil {
				t.Fatalf("accepted %q", s)
			}
		}
		if qty > models.MaxQuantity || price > models.MaxAmount || demand > models.MaxAmount {
			t.Fatalf("accepted numbers past the bounds: %d %d %d", qty, price, demand)
		}
	})
}
