package vouchers

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// Reasons a voucher is not valid or not redeemed.
const (
	ReasonNotFound            = "not_found"
	ReasonInactive            = "inactive"
	ReasonExpired             = "expired"
	ReasonNotYetValid         = "not_yet_valid"
	ReasonLimitReached        = "limit_reached"
	ReasonInsufficientBalance = "insufficient_balance"
	ReasonLocked              = "locked"
	ReasonNotValidHere        = "not_valid_here"
	ReasonRuleFailed          = "rule_failed"
	ReasonInvalidOrder        = "invalid_order"
	ReasonRolledBack          = "rolled_back" // a retry of an order whose redemption was rolled back
	// ReasonZeroAmount refuses a redeem that would pay 0 cents: counting it
	// would use up a redemption (and a limit) for nothing paid.
	ReasonZeroAmount = "zero_amount"
)

// decision is the outcome of checking a voucher for one request.
type decision struct {
	Reason   string
	Message  string
	Amount   int64
	Settings Settings
	Counters Counters
	Products map[string]bool
	verdict  *verdict // what the expressions said, when there are any
}

// ok reports whether the voucher may be used.
func (d *decision) ok() bool { return d.Reason == "" }

// request is what a validate or redeem asks. Verdict is what the
// voucher's expressions said of it before, if they did; with NoEval, a
// Verdict that no longer holds is not evaluated again: the decision is
// reasonStale (inside the spend group, where no expression may run).
type request struct {
	DeviceID string
	Order    *Order
	Demand   *Demand
	Redeem   bool
	Verdict  *verdict
	NoEval   bool
}

// reasonStale is the internal reason of a decision that needs its
// expressions evaluated again; no answer carries it.
const reasonStale = "stale"

// decide checks the voucher against the request, in the order: status,
// expiry, start date, place, lock, order, limit, redemption rules, balance; then
// computes the amount off, which a redeem refuses when it is 0.
func decide(ctx context.Context, t *target, d *device, r request, now time.Time) decision {
	st := Effective(&t.C, &t.V)
	dec := decision{Settings: st, Counters: CurrentCounters(&t.V, st.ResetFrequency, st.Location, now),
		Products: Products(st.ValidationRules)}
	dec.Reason, dec.Message = precheck(t, st, d, r, now)
	if !dec.ok() {
		return dec
	}
	eligible := int64(0)
	if r.Order != nil {
		eligible = EligibleAmount(dec.Products, r.Order)
		if dec.Products != nil && eligible == 0 {
			dec.Reason, dec.Message = ReasonNotValidHere, "no item of the order is eligible"
			return dec
		}
	}
	if st.RedemptionLimit > 0 && dec.Counters.RedemptionCount >= st.RedemptionLimit {
		dec.Reason = ReasonLimitReached
		return dec
	}
	vd := &verdict{}
	if hasExpressions(st) {
		env := d.env(t, st, dec.Counters, r.Order, r.Demand, now)
		if vd = r.Verdict; !vd.holdsFor(env, st) {
			if r.NoEval {
				dec.Reason = reasonStale
				return dec
			}
			vd = judge(ctx, env, st)
		}
		dec.verdict = vd
	}
	if dec.Reason, dec.Message = vd.reason, vd.message; !dec.ok() {
		return dec
	}
	balance := Balance(st, dec.Counters)
	if st.Type == models.CampaignGift && balance <= 0 {
		dec.Reason = ReasonInsufficientBalance
		return dec
	}
	ask := Ask{Order: r.Order, Demand: r.Demand, Eligible: eligible, Dynamic: vd.dynamic}
	dec.Amount = AmountOff(st, balance, ask)
	if r.Redeem && dec.Amount == 0 {
		dec.Reason = ReasonZeroAmount
	}
	return dec
}

// precheck returns the reason a voucher cannot be used before its amounts
// and rules are looked at.
func precheck(t *target, st Settings, d *device, r request, now time.Time) (string, string) {
	switch {
	case t.C.Status != models.StatusActive || t.V.Status != models.StatusActive:
		return ReasonInactive, ""
	case Expired(st.ExpiresOn, st.Location, now):
		return ReasonExpired, ""
	case notYetValid(st.ValidFrom, st.Location, now):
		return ReasonNotYetValid, ""
	case !MatchPlace(st.ValidationRules, d.place()):
		return ReasonNotValidHere, ""
	case lockedByOther(&t.V, r.DeviceID, now):
		return ReasonLocked, ""
	}
	return checkOrder(st, r)
}

// notYetValid reports whether now is before the start of the day validFrom
// in loc. A date that does not parse never blocks: it was checked when it was
// saved, as expiresOn is.
func notYetValid(validFrom *string, loc *time.Location, now time.Time) bool {
	if validFrom == nil || *validFrom == "" {
		return false
	}
	d, err := time.ParseInLocation(time.DateOnly, *validFrom, loc)
	return err == nil && now.Before(d)
}

// lockedByOther reports whether another device holds the voucher's lock.
func lockedByOther(v *models.Voucher, deviceID string, now time.Time) bool {
	return v.LockOwner != nil && *v.LockOwner != deviceID && v.LockedTill != nil && v.LockedTill.After(now)
}

// checkOrder checks the order and demand of a request.
func checkOrder(st Settings, r request) (string, string) {
	switch {
	case !ValidOrder(r.Order):
		return ReasonInvalidOrder, "order amounts, quantities and prices must not be negative"
	case r.Demand != nil && r.Demand.Amount < 0:
		return ReasonInvalidOrder, "demand.amount must not be negative"
	case !r.Redeem:
		return "", ""
	case r.Order == nil || r.Order.ID == "":
		return ReasonInvalidOrder, "order.id is required"
	case st.Type == models.CampaignGift && r.Demand == nil && r.Order.Total() == 0:
		return ReasonInvalidOrder, "a gift voucher needs demand.amount or an order amount"
	case st.Type != models.CampaignGift && r.Order.Total() == 0:
		return ReasonInvalidOrder, "order.amount or order.items is required"
	}
	return "", ""
}

// checkRules evaluates the redemption rules; the first that fails gives
// rule_failed with its message. A rule that cannot be evaluated fails too.
func checkRules(ctx context.Context, rs models.RedemptionRules, env *rules.RedemptionEnv) (string, string) {
	for _, r := range rs {
		p, err := rules.Compile(rules.KindRedemption, r.Expr)
		if err != nil {
			return ReasonRuleFailed, ruleMessage(r, err)
		}
		ok, err := p.Bool(ctx, env)
		if err != nil || !ok {
			return ReasonRuleFailed, ruleMessage(r, err)
		}
	}
	return "", ""
}

func ruleMessage(r models.RedemptionRule, err error) string {
	msg := r.Message
	if msg == "" {
		msg = "rule " + r.Name + " does not hold"
	}
	if err != nil {
		msg += " (" + models.MessageOf(err) + ")"
	}
	return msg
}

// dynamicValue evaluates a dynamic campaign's value expression.
func dynamicValue(ctx context.Context, src string, env *rules.RedemptionEnv) (float64, string, string) {
	p, err := rules.Compile(rules.KindValue, src)
	if err != nil {
		return 0, ReasonRuleFailed, "valueExpr: " + models.MessageOf(err)
	}
	v, err := p.Number(ctx, env)
	if err != nil {
		return 0, ReasonRuleFailed, "valueExpr: " + models.MessageOf(err)
	}
	return v, "", ""
}

// productsRegExp returns a pattern matching the allowed PLUs, "" for all.
func productsRegExp(products map[string]bool) string {
	if len(products) == 0 {
		return ""
	}
	keys := make([]string, 0, len(products))
	for k := range products {
		keys = append(keys, regexp.QuoteMeta(k))
	}
	slices.Sort(keys)
	return "^(" + strings.Join(keys, "|") + ")$"
}
