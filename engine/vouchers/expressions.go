package vouchers

import (
	"fmt"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// compileRules compiles every redemption rule (and the value expression),
// so that a rule that cannot work is refused when it is saved. Errors are
// EEXPRESSION (422) with the compiler's position, or EINVALID for an
// expression that is too long.
func compileRules(rs models.RedemptionRules, valueExpr string) error {
	for i, r := range rs {
		if _, err := rules.Compile(rules.KindRedemption, r.Expr); err != nil {
			return prefixField(fmt.Sprintf("redemptionRules[%d].expr", i), err)
		}
	}
	if valueExpr != "" {
		if _, err := rules.Compile(rules.KindValue, valueExpr); err != nil {
			return prefixField("valueExpr", err)
		}
	}
	return nil
}

// prefixField names the field that holds a failing expression.
func prefixField(field string, err error) error {
	e, ok := err.(*models.Error)
	if !ok {
		return err
	}
	return &models.Error{Code: e.Code, Message: field + ": " + e.Message, Fields: map[string]string{field: e.Message}}
}
