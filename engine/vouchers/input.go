package vouchers

import (
	"fmt"

	"github.com/vendrule/vendrule/models"
)

// Device requests are checked here, before they join a group of requests
// that share a statement: text PostgreSQL cannot store and numbers past the
// documented maxima are EINVALID naming the field, so that one request can
// never fail the statement of others. Negative numbers within the bounds
// stay a business outcome (invalid_order).

// checkRequest checks the code and the parts of a device request.
func checkRequest(code, deviceID string, o *Order, d *Demand) error {
	if err := models.CheckText("code", code, models.MaxText); err != nil {
		return err
	}
	if err := models.CheckText("deviceId", deviceID, models.MaxText); err != nil {
		return err
	}
	if d != nil {
		if err := checkBounded("demand.amount", d.Amount, models.MaxAmount); err != nil {
			return err
		}
	}
	return checkOrderInput(o)
}

// checkOrderInput bounds an order's text, amounts, quantities and total.
func checkOrderInput(o *Order) error {
	if o == nil {
		return nil
	}
	if err := models.CheckText("order.id", o.ID, models.MaxText); err != nil {
		return err
	}
	if err := checkBounded("order.amount", o.Amount, models.MaxAmount); err != nil {
		return err
	}
	if len(o.Items) > models.MaxOrderItems {
		return models.FieldError("order.items", "holds at most %d items", models.MaxOrderItems)
	}
	var sum int64
	for i, it := range o.Items {
		field := fmt.Sprintf("order.items[%d].", i)
		if err := models.CheckText(field+"productId", it.ProductID, models.MaxText); err != nil {
			return err
		}
		if err := checkBounded(field+"quantity", it.Quantity, models.MaxQuantity); err != nil {
			return err
		}
		if err := checkBounded(field+"price", it.Price, models.MaxAmount); err != nil {
			return err
		}
		sum += it.Quantity * it.Price // bounded: at most MaxOrderItems × MaxQuantity × MaxAmount
	}
	if sum > models.MaxAmount {
		return models.FieldError("order.items", "total more than %d", models.MaxAmount)
	}
	return nil
}

// checkBounded refuses a number whose size is past max, either way.
func checkBounded(field string, v, max int64) error {
	if v > max || v < -max {
		return models.FieldError(field, "must be from 0 to %d", max)
	}
	return nil
}
