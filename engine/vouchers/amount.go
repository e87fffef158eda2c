package vouchers

import (
	"math"

	"github.com/vendrule/vendrule/rules"

	"github.com/vendrule/vendrule/models"
)

// Order is the order a device redeems a voucher for. Amounts are cents.
type Order struct {
	ID     string      `json:"id"`
	Amount int64       `json:"amount"`
	Items  []OrderItem `json:"items"`
}

// OrderItem is one line of an order.
type OrderItem struct {
	ProductID string `json:"productId"`
	Quantity  int64  `json:"quantity"`
	Price     int64  `json:"price"`
}

// Demand is what a device asks a gift voucher to pay.
type Demand struct {
	Amount int64 `json:"amount"`
}

// ValidOrder reports whether an order's numbers make sense.
func ValidOrder(o *Order) bool {
	if o == nil {
		return true
	}
	if o.Amount < 0 {
		return false
	}
	for _, it := range o.Items {
		if it.Quantity < 0 || it.Price < 0 {
			return false
		}
	}
	return true
}

// Total returns the order's amount, or the sum of its items when the amount
// is not given.
func (o *Order) Total() int64 {
	if o.Amount > 0 {
		return o.Amount
	}
	var sum int64
	for _, it := range o.Items {
		sum = addCents(sum, mulCents(it.Quantity, it.Price))
	}
	return sum
}

// EligibleAmount returns the part of the order a voucher may pay for: the
// items whose PLU the product rules allow, or the whole order without
// product rules.
func EligibleAmount(products map[string]bool, o *Order) int64 {
	if products == nil {
		return o.Total()
	}
	var sum int64
	for _, it := range o.Items {
		if products[it.ProductID] {
			sum = addCents(sum, mulCents(it.Quantity, it.Price))
		}
	}
	return sum
}

// Ask is what a validate or redeem asks of a voucher.
type Ask struct {
	Order    *Order  // nil on a validate without an order
	Demand   *Demand // a gift voucher's demand, if any
	Eligible int64   // EligibleAmount of Order
	Dynamic  float64 // the dynamic campaign's valueExpr result
}

// AmountOff returns the discount in cents: a discount's value (cents, or a
// percent of the eligible amount, never more than the eligible amount); a
// gift's min(demand, balance), the balance without a demand; a dynamic
// value clamped to [0, eligible].
func AmountOff(s Settings, balance int64, a Ask) int64 {
	return max(0, amountOff(s, balance, a))
}

func amountOff(s Settings, balance int64, a Ask) int64 {
	switch s.Type {
	case models.CampaignGift:
		return giftAmount(balance, a)
	case models.CampaignDynamic:
		if a.Order == nil {
			return rules.ClampValue(a.Dynamic, models.MaxAmount)
		}
		return rules.ClampValue(a.Dynamic, a.Eligible)
	}
	if s.ValueType == models.ValuePercent {
		if a.Order == nil {
			return 0
		}
		return (mulCents(a.Eligible, s.Value) + 50) / 100
	}
	if a.Order == nil {
		return s.Value
	}
	return min(s.Value, a.Eligible)
}

func giftAmount(balance int64, a Ask) int64 {
	switch {
	case a.Demand != nil:
		return max(0, min(a.Demand.Amount, balance))
	case a.Order != nil:
		return max(0, min(a.Eligible, balance))
	}
	return max(0, balance)
}

// Orders are bounded at the edge (checkOrderInput), so these never
// saturate there; they keep the arithmetic of any order from wrapping
// around into a negative or small amount.

// addCents returns a+b of non-negative amounts, saturating at MaxInt64.
func addCents(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1 // negative parts make an invalid order (ValidOrder)
	}
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// mulCents returns a×b of non-negative numbers, saturating at MaxInt64.
func mulCents(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}
