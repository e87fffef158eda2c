package rules

import (
	"context"
	"errors"
	"time"

	"github.com/vendrule/vendrule/models"
)

// WithBudget bounds a whole request's rule work (an ingestion batch, a
// backtest) by d, on top of the limits of each evaluation: many cheap
// evaluations can add up to minutes. It returns the bounded context and
// spent, which turns an error seen under it into EUNAVAILABLE naming what
// ran out of time when the budget, not the caller, ended it; other errors
// pass unchanged. Call cancel when done.
func WithBudget(ctx context.Context, d time.Duration, what string) (bctx context.Context, spent func(error) error, cancel context.CancelFunc) {
	bctx, cancel = context.WithTimeout(ctx, d)
	spent = func(err error) error {
		if err == nil || ctx.Err() != nil || !errors.Is(bctx.Err(), context.DeadlineExceeded) {
			return err
		}
		return models.Errorf(models.EUNAVAILABLE,
			"%s took longer than its time budget of %v and was stopped; nothing of it was kept", what, d)
	}
	return bctx, spent, cancel
}
