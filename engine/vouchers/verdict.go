package vouchers

import (
	"context"
	"reflect"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// A voucher's expressions (redemption rules, a dynamic campaign's value)
// are evaluated outside every shared group and lock: a redeem evaluates
// them on the row it read, before it joins the spend group, and keeps the
// verdict with the environment it was given. The group decides with that
// verdict only while the environment is the same (the same counters,
// settings, device and order); otherwise the redeem leaves the group and
// evaluates again on a fresh read (redeemFresh). So one tenant's costly
// rules spend that tenant's time, never the time of a statement shared
// with other tenants.

// verdict is what a voucher's expressions said of one request, and what
// they said it of.
type verdict struct {
	env     rules.RedemptionEnv // with Now cleared: the clock moves on
	rules   models.RedemptionRules
	expr    string
	reason  string
	message string
	dynamic float64
}

// hasExpressions reports whether deciding on a voucher evaluates
// expressions.
func hasExpressions(st Settings) bool {
	return len(st.RedemptionRules) > 0 || st.Type == models.CampaignDynamic
}

// judge evaluates the expressions of st for env.
func judge(ctx context.Context, env *rules.RedemptionEnv, st Settings) *verdict {
	v := &verdict{env: *env, rules: st.RedemptionRules, expr: st.ValueExpr}
	v.env.Now = time.Time{}
	if v.reason, v.message = checkRules(ctx, st.RedemptionRules, env); v.reason != "" {
		return v
	}
	if st.Type == models.CampaignDynamic {
		v.dynamic, v.reason, v.message = dynamicValue(ctx, st.ValueExpr, env)
	}
	return v
}

// holdsFor reports whether v was given env (Now aside) and st's
// expressions, so that evaluating again would say the same.
func (v *verdict) holdsFor(env *rules.RedemptionEnv, st Settings) bool {
	if v == nil || v.expr != st.ValueExpr || !reflect.DeepEqual(v.rules, st.RedemptionRules) {
		return false
	}
	e := *env
	e.Now = time.Time{}
	return reflect.DeepEqual(v.env, e)
}
