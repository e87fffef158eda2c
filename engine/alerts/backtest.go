package alerts

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/rules"
)

// MaxBacktestRange is the longest period one backtest replays.
const MaxBacktestRange = 31 * 24 * time.Hour

// BacktestAlert is an alert a backtest would have raised. Status is
// "firing" for an alert still firing at the end of the period.
type BacktestAlert struct {
	Machine    int64      `json:"machine"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"startedAt"`
	ResolvedAt *time.Time `json:"resolvedAt"`
	Count      int64      `json:"count"`
	LastItem   *ItemRef   `json:"lastItem"`
}

// ItemRef names the last item that counted towards an alert.
type ItemRef struct {
	Kind string `json:"kind"` // "event" or "transaction"
	ID   int64  `json:"id"`
}

// Backtest replays the stored history of (from, to] through o, with the
// same evaluator as live evaluation, as if every item had arrived when it
// occurred, and returns the alerts it would have raised, in start order.
// Nothing is stored or sent. o may be unsaved (ID 0). The machines are o's,
// or every machine sc can see when o names none. Returns EINVALID for a bad
// observer or period, EEXPRESSION for a condition that does not compile.
//
// A backtest runs under the tenant's share of rules.Tenants (ERATELIMITED
// when the tenant's earlier backtests keep it past the budget) and within
// BacktestBudget (EUNAVAILABLE when spent); it stops when ctx ends.
func (e *Engine) Backtest(ctx context.Context, sc models.Scope, o models.AlertObserver, from, to time.Time) ([]BacktestAlert, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	if err := ingest.ValidateObserver(&o); err != nil {
		return nil, err
	}
	obs, err := compileObserver(o)
	if err != nil {
		return nil, err
	}
	ctx, spent, cancel := rules.WithBudget(ctx, BacktestBudget, "the backtest")
	defer cancel()
	out, err := e.backtest(ctx, sc, obs, from, to)
	return out, spent(err)
}

// BacktestBudget is how long one backtest may take in all.
var BacktestBudget = 20 * time.Second

// backtest replays obs on its machines under the tenant's share of rule
// work.
func (e *Engine) backtest(ctx context.Context, sc models.Scope, obs *observer, from, to time.Time) ([]BacktestAlert, error) {
	leave, err := ingest.EnterTenant(ctx, e.DB.DB, sc.GroupID)
	if err != nil {
		return nil, err
	}
	defer leave()
	ms, err := e.backtestMachines(ctx, sc, obs.AlertObserver)
	if err != nil {
		return nil, err
	}
	out := []BacktestAlert{}
	for _, m := range ms {
		as, err := e.backtestMachine(ctx, obs, m, from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	sortFunc(out, func(a, b BacktestAlert) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return cmpInt(a.Machine, b.Machine)
	})
	return out, nil
}

func checkPeriod(from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero():
		return models.Errorf(models.EINVALID, "from and to are required")
	case !to.After(from):
		return models.FieldError("to", "must be after from")
	case to.Sub(from) > MaxBacktestRange:
		return models.FieldError("to", "a backtest covers at most %d days", int(MaxBacktestRange.Hours()/24))
	}
	return nil
}

// backtestMachines returns the machines a backtest of o covers, checking
// that sc may see the ones o names (EINVALID otherwise).
func (e *Engine) backtestMachines(ctx context.Context, sc models.Scope, o models.AlertObserver) ([]*machineInfo, error) {
	if err := pg.CheckRefs(ctx, e.DB.DB, sc, o.Refs()); err != nil {
		return nil, err
	}
	ids := []int64(o.Machines)
	if len(ids) == 0 {
		err := e.DB.WithContext(ctx).Table("machines").Scopes(pg.Tenant(sc, "user_group")).Order("id").Pluck("id", &ids).Error
		if err != nil {
			return nil, fmt.Errorf("backtest machines: %w", pg.MapError(err))
		}
	}
	byID, err := loadMachines(ctx, e.DB.DB, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*machineInfo, 0, len(byID))
	for _, id := range distinctIDs(ids) {
		if m := byID[id]; m != nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// backtestMachine judges o on m at from (as a new watch would be), then
// replays (from, to].
func (e *Engine) backtestMachine(ctx context.Context, o *observer, m *machineInfo, from, to time.Time) ([]BacktestAlert, error) {
	anchor, err := e.backtestAnchor(ctx, o, m, from)
	if err != nil {
		return nil, err
	}
	_, changes, err := judgeAndReplay(ctx, e.DB.DB, o, m, anchor, from, to, to)
	if err != nil {
		return nil, err
	}
	out := make([]BacktestAlert, 0, len(changes))
	for _, c := range changes {
		out = append(out, backtestAlert(m.ID, c.Alert))
	}
	return out, nil
}

// firstItemSQL finds the time of a machine's first stored item of either
// kind (NULL when it has none): the bounded end of (machine, occurred_at)
// on each table.
const firstItemSQL = `SELECT LEAST(
	(SELECT min(occurred_at) FROM logs WHERE machine = @machine),
	(SELECT min(occurred_at) FROM revenue_transactions WHERE machine = @machine))`

// backtestAnchor returns where a non_occurrence silence may start counting
// in a backtest of (from, …] on m: the later of from and m's first stored
// item, or of from and m's creation when it has none. Live watches count
// from the observer's and the machine's creation, but a backtest judges
// history as history: a machine's row (and the observer) may be younger
// than the backlog uploaded for it, and counting from them would hide every
// silence of that backlog. The first item, of either kind, is when the
// machine is known to have been reporting.
func (e *Engine) backtestAnchor(ctx context.Context, o *observer, m *machineInfo, from time.Time) (time.Time, error) {
	if o.Observer != models.NonOccurrence {
		return from, nil // only a silence needs an anchor
	}
	var first *time.Time
	row := e.DB.WithContext(ctx).Raw(firstItemSQL, sql.Named("machine", m.ID)).Row()
	if err := row.Scan(&first); err != nil {
		return time.Time{}, fmt.Errorf("backtest anchor: %w", pg.MapError(err))
	}
	if first == nil {
		return fleet.Later(from, m.CreatedAt), nil
	}
	return fleet.Later(from, *first), nil
}

func backtestAlert(machine int64, a *Alert) BacktestAlert {
	b := BacktestAlert{Machine: machine, Status: a.Status, StartedAt: a.StartedAt, ResolvedAt: a.ResolvedAt, Count: a.Count}
	if a.LastItem != 0 {
		b.LastItem = &ItemRef{Kind: a.LastKind, ID: a.LastItem}
	}
	return b
}
