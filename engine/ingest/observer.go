package ingest

import (
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// ValidateObserver checks an observer before it is saved: its fields (see
// models.AlertObserver.Validate, EINVALID) and its condition, which must
// compile as a condition over {event|transaction, machine, location}
// (EEXPRESSION with line and column, in Fields["condition"]). An empty
// condition matches every item.
func ValidateObserver(o *models.AlertObserver) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Condition == "" {
		return nil
	}
	if _, err := rules.Compile(rules.KindCondition, o.Condition); err != nil {
		return conditionError(err)
	}
	return nil
}

// conditionError names the field "condition" in a compile error.
func conditionError(err error) error {
	e, ok := err.(*models.Error)
	if !ok {
		return err
	}
	return &models.Error{Code: e.Code, Message: "condition: " + e.Message,
		Fields: map[string]string{"condition": e.Message}}
}
