package alerts

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// judge computes the state of o on m at from stored data, as if the
// observer had watched the last window before at: the matching items of
// that window (and, for non_resolution, the events still unresolved) are
// replayed, and only an alert still firing at at is kept. A non_occurrence
// silence starts at the window's start when the machine has any item of the
// observer's type and filters before it, otherwise at the later of anchor
// (the observer's and machine's creation) and the window's start.
func judge(ctx context.Context, tx *gorm.DB, o *observer, m *machineInfo, anchor, at time.Time) (*State, []Change, error) {
	r := o.rule(m.schedule)
	from := r.Hours.Sub(at, r.Window)
	st := &State{}
	if o.Observer == models.NonOccurrence {
		since, err := silenceStart(ctx, tx, o, m, anchor, from, at)
		if err != nil {
			return nil, nil, err
		}
		st.Since = since
	}
	inputs, err := history(ctx, tx, o, m, from, at)
	if err != nil {
		return nil, nil, err
	}
	ev := &Eval{Rule: r, State: st}
	replay(ev, inputs, at)
	if !st.Alert.Firing() {
		st.Alert = nil
		return st, nil, nil
	}
	return st, []Change{{Alert: st.Alert}}, nil
}

// replay applies inputs (in time order) as if each arrived when it
// occurred (items dated after to as if they arrived at to), then lets time
// pass up to to.
func replay(ev *Eval, inputs []Input, to time.Time) {
	sortInputs(inputs)
	for _, in := range inputs {
		ev.Now = fleet.Earlier(in.At, to)
		ev.Apply(in)
	}
	ev.Now = to
	ev.Finish()
}

// judgeAndReplay judges o on m at from, then replays the stored history of
// (from, horizon] up to to: what a watch that began at from would hold at
// to. It is how backtests run, and how a new watch starts when its first
// items are late (from is then the earliest of them).
func judgeAndReplay(ctx context.Context, tx *gorm.DB, o *observer, m *machineInfo, anchor, from, horizon, to time.Time) (*State, []Change, error) {
	st, changes, err := judge(ctx, tx, o, m, anchor, from)
	if err != nil || !horizon.After(from) {
		return st, changes, err
	}
	inputs, err := history(ctx, tx, o, m, from, horizon)
	if err != nil {
		return nil, nil, err
	}
	ev := &Eval{Rule: o.rule(m.schedule), State: st, Changes: changes}
	replay(ev, inputs, to)
	return st, ev.Changes, nil
}

// silenceStart returns where a non_occurrence silence starts counting at
// from, the start of the window before at: there when the machine has any
// item of the observer's type and static filters up to at (the items of
// the window then move it on), otherwise at the later of anchor and from.
func silenceStart(ctx context.Context, tx *gorm.DB, o *observer, m *machineInfo, anchor, from, at time.Time) (time.Time, error) {
	var n int64
	q := itemQuery(ctx, tx, o, m.ID).Where("t.occurred_at <= ?", at).Limit(1)
	if err := q.Select("1").Scan(&n).Error; err != nil {
		return time.Time{}, fmt.Errorf("silence start: %w", pg.MapError(err))
	}
	if n == 1 {
		return from, nil
	}
	return fleet.Later(anchor, from), nil
}

// itemQuery selects the stored items (as "t") of o's type on machine with
// o's static filters.
func itemQuery(ctx context.Context, tx *gorm.DB, o *observer, machine int64) *gorm.DB {
	if o.Type == models.ObserverEvent {
		q := tx.WithContext(ctx).Table("logs t").Where("t.machine = ?", machine)
		if o.Error != nil {
			q = q.Where("t.error_identity = ?", *o.Error)
		}
		return q
	}
	q := tx.WithContext(ctx).Table("revenue_transactions t").Where("t.machine = ?", machine)
	if o.PaymentMethod != nil {
		q = q.Where("EXISTS (SELECT 1 FROM payment_transactions p WHERE p.revenuetransaction = t.id AND p.method = ?)",
			*o.PaymentMethod)
	}
	return q
}

// maxHistory bounds the items one replay reads.
const maxHistory = 200000

// history returns o's matching inputs on m that occurred in (from, to], in
// time order, with the resolutions up to to; for non_resolution also the
// events before from still open at from.
func history(ctx context.Context, tx *gorm.DB, o *observer, m *machineInfo, from, to time.Time) ([]Input, error) {
	items, err := loadItems(ctx, tx, o, m.ID, from, to)
	if err != nil {
		return nil, err
	}
	var out []Input
	for _, it := range items {
		ok, err := o.matches(ctx, it, m)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out = append(out, it.input())
		if o.Observer == models.NonResolution && it.resolved != nil && !it.resolved.After(to) {
			out = append(out, Input{At: *it.resolved, Item: it.id, Kind: it.kind, Resolution: true})
		}
	}
	sortInputs(out)
	return out, nil
}

// loadItems reads the candidate items of o on machine in (from, to].
func loadItems(ctx context.Context, tx *gorm.DB, o *observer, machine int64, from, to time.Time) ([]*item, error) {
	q := itemQuery(ctx, tx, o, machine).Where("t.occurred_at <= ?", to).Order("t.occurred_at, t.id").Limit(maxHistory)
	if o.Observer == models.NonResolution {
		q = q.Where("(t.occurred_at > ? OR t.resolved_at IS NULL OR t.resolved_at > ?)", from, from)
	} else {
		q = q.Where("t.occurred_at > ?", from)
	}
	if o.Type == models.ObserverEvent {
		var events []models.Event
		if err := q.Select("t.*").Find(&events).Error; err != nil {
			return nil, fmt.Errorf("load events: %w", pg.MapError(err))
		}
		out := make([]*item, len(events))
		for i := range events {
			out[i] = eventItem(&events[i])
		}
		return out, nil
	}
	return loadSales(ctx, tx, q)
}

// loadSales reads the sales of q with their payments.
func loadSales(ctx context.Context, tx *gorm.DB, q *gorm.DB) ([]*item, error) {
	var sales []models.RevenueTransaction
	if err := q.Select("t.*").Find(&sales).Error; err != nil {
		return nil, fmt.Errorf("load sales: %w", pg.MapError(err))
	}
	ids := make([]int64, len(sales))
	byID := make(map[int64]*models.RevenueTransaction, len(sales))
	for i := range sales {
		ids[i], byID[sales[i].ID] = sales[i].ID, &sales[i]
	}
	var pays []models.PaymentTransaction
	if len(ids) > 0 {
		err := tx.WithContext(ctx).Table("payment_transactions").Where("revenuetransaction = ANY(?::bigint[])", models.IDList(ids)).Find(&pays).Error
		if err != nil {
			return nil, fmt.Errorf("load payments: %w", pg.MapError(err))
		}
	}
	for _, p := range pays {
		s := byID[p.Revenuetransaction]
		s.Payments = append(s.Payments, p)
	}
	out := make([]*item, len(sales))
	for i := range sales {
		out[i] = saleItem(&sales[i])
	}
	return out, nil
}
