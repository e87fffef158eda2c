package alerts

import (
	"context"
	"fmt"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Observer and machine statuses of the status views.
const (
	StatusOK = "ok" // no firing alert
)

// statusFilter returns the SQL condition for status over the firing alerts
// of the row named by column; EINVALID for an unknown status.
func statusFilter(status, column string) (string, error) {
	exists := "EXISTS (SELECT 1 FROM alerts a WHERE a." + column + " AND a.status = 'firing')"
	switch status {
	case StatusFiring:
		return exists, nil
	case StatusOK:
		return "NOT " + exists, nil
	}
	return "", models.Errorf(models.EINVALID, "status must be %q or %q", StatusFiring, StatusOK)
}

// ObserversByStatus returns the observers sc can see that have a firing
// alert (status "firing") or none ("ok"), by id. Returns EINVALID for
// another status.
func (e *Engine) ObserversByStatus(ctx context.Context, sc models.Scope, status string) ([]models.AlertObserver, error) {
	cond, err := statusFilter(status, "observer = o.id")
	if err != nil {
		return nil, err
	}
	out := []models.AlertObserver{}
	err = e.DB.WithContext(ctx).Table("alert_observers o").Scopes(pg.Tenant(sc, "o.user_group")).
		Where(cond).Order("o.id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("observers by status: %w", pg.MapError(err))
	}
	return out, nil
}

// MachinesByStatus returns the machines sc can see that have a firing
// alert (status "firing", of any observer) or none ("ok"), by id. Returns
// EINVALID for another status.
func (e *Engine) MachinesByStatus(ctx context.Context, sc models.Scope, status string) ([]models.Machine, error) {
	cond, err := statusFilter(status, "machine = m.id")
	if err != nil {
		return nil, err
	}
	out := []models.Machine{}
	err = e.DB.WithContext(ctx).Table("machines m").Scopes(pg.Tenant(sc, "m.user_group")).
		Where(cond).Order("m.id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("machines by status: %w", pg.MapError(err))
	}
	return out, nil
}
