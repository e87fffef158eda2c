package rules

import "github.com/vendrule/vendrule/models"

// Kind says what an expression is for: which environment it sees and which
// result type it must have.
type Kind string

// The kinds of expression.
const (
	// KindRedemption is a redemption rule: a bool over RedemptionEnv.
	KindRedemption Kind = "redemption"
	// KindValue is a dynamic voucher value: a number (int or float, in
	// cents) over RedemptionEnv.
	KindValue Kind = "value"
	// KindCondition is an alert condition: a bool over ConditionEnv.
	KindCondition Kind = "condition"
)

// ParseKind returns the Kind named s, or an EINVALID error naming the field
// "kind".
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindRedemption, KindValue, KindCondition:
		return k, nil
	}
	return "", models.FieldError("kind", "unknown expression kind %q (want redemption, value or condition)", s)
}

// String returns the name of the kind.
func (k Kind) String() string { return string(k) }
