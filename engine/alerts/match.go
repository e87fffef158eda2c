package alerts

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// observer is an alert observer ready for evaluation: its rule and its
// compiled condition (nil when it has none).
type observer struct {
	models.AlertObserver
	cond *rules.Program
}

// compileObserver compiles o's condition (rules caches compiled programs,
// so observers that share a condition share a program). Returns
// EEXPRESSION when it does not compile.
func compileObserver(o models.AlertObserver) (*observer, error) {
	out := &observer{AlertObserver: o}
	if o.Condition == "" {
		return out, nil
	}
	p, err := rules.Compile(rules.KindCondition, o.Condition)
	if err != nil {
		return nil, err
	}
	out.cond = p
	return out, nil
}

// rule returns the evaluator's rule of o on a machine open by hours.
func (o *observer) rule(hours fleet.Schedule) Rule {
	r := Rule{Kind: o.Observer, Window: models.Window(o.Timer, o.TimerType), Occurs: int(o.Occurs)}
	if o.OpeningHours {
		r.Hours = hours
	}
	return r
}

// item is a stored event or sale as the matcher sees it.
type item struct {
	kind     string // models.ObserverEvent or models.ObserverTransaction
	id       int64
	machine  int64
	at       time.Time
	errorID  int64    // events: the error identity, 0 when unmapped
	methods  []string // sales: the distinct payment methods
	event    *models.Event
	sale     *models.RevenueTransaction
	env      *rules.ConditionEnv // built on first use
	resolved *time.Time          // events: resolved at (on arrival)
}

func eventItem(e *models.Event) *item {
	it := &item{kind: models.ObserverEvent, id: e.ID, machine: e.Machine, at: e.OccurredAt, event: e,
		resolved: e.ResolvedAt}
	if e.ErrorIdentity != nil {
		it.errorID = *e.ErrorIdentity
	}
	return it
}

func saleItem(t *models.RevenueTransaction) *item {
	it := &item{kind: models.ObserverTransaction, id: t.ID, machine: t.Machine, at: t.OccurredAt, sale: t}
	for _, p := range t.Payments {
		if !slices.Contains(it.methods, p.Method) {
			it.methods = append(it.methods, p.Method)
		}
	}
	return it
}

// input is the item as a step of the evaluator's stream.
func (it *item) input() Input { return Input{At: it.at, Item: it.id, Kind: it.kind} }

// matches reports whether it satisfies o's static filters and condition. A
// condition that fails to evaluate (e.g. a missing key, or a limit of
// rules.Limits) does not match; an evaluation cut short because ctx ended
// is ctx's error instead, so that a batch or a backtest whose time budget
// is spent stops rather than deciding on a guess.
func (o *observer) matches(ctx context.Context, it *item, m *machineInfo) (bool, error) {
	if !o.matchesStatic(it) {
		return false, nil
	}
	if o.cond == nil {
		return true, nil
	}
	ok, err := o.cond.Bool(ctx, it.conditionEnv(m))
	if cerr := ctx.Err(); cerr != nil {
		return false, cerr
	}
	return err == nil && ok, nil
}

// matchesStatic checks type, error identity, payment method and machines,
// what the index already narrows down; backtests call it on their own.
func (o *observer) matchesStatic(it *item) bool {
	switch {
	case o.Type != it.kind:
		return false
	case o.Error != nil && *o.Error != it.errorID:
		return false
	case o.PaymentMethod != nil && !slices.Contains(it.methods, *o.PaymentMethod):
		return false
	case len(o.Machines) > 0 && !slices.Contains(o.Machines, it.machine):
		return false
	}
	return true
}

// conditionEnv builds (once) the environment of conditions for it.
func (it *item) conditionEnv(m *machineInfo) *rules.ConditionEnv {
	if it.env != nil {
		return it.env
	}
	env := &rules.ConditionEnv{Machine: m.ruleMachine(), Location: m.ruleLocation()}
	if e := it.event; e != nil {
		env.Event = rules.Event{Code: e.Code, ErrorIdentity: it.errorID, Type: e.Type,
			ExtraData: extraData(e.ExtraData), OccurredAt: e.OccurredAt}
		if e.ResolvedAt != nil {
			env.Event.ResolvedAt = *e.ResolvedAt
		}
	}
	if t := it.sale; t != nil {
		env.Transaction = rules.Transaction{Name: t.Name, Price: t.Price, Currency: t.Currency,
			Methods: it.methods, OccurredAt: t.OccurredAt}
		if t.Product != nil {
			env.Transaction.Product = *t.Product
		}
		for _, p := range t.Payments {
			env.Transaction.Payments = append(env.Transaction.Payments,
				rules.Payment{Method: p.Method, Type: p.Type, Price: p.Price})
		}
	}
	it.env = env
	return env
}

// extraData reads an event's extra data as a JSON object; anything else is
// an empty map.
func extraData(s *string) map[string]any {
	out := map[string]any{}
	if s != nil {
		_ = json.Unmarshal([]byte(*s), &out)
	}
	return out
}
