package alerts

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// pairKey names one watch.
type pairKey struct{ observer, machine int64 }

// OnStored evaluates the observers that can match the new items of a batch
// (and the events it resolved) inside the storing transaction; set it as
// ingest.Service.OnStored. Only observers whose static keys fit an item are
// looked at (see index). Late and out-of-order items are applied in
// occurrence order to the stored state of each (observer, machine), then
// time passes up to now; an alert that both starts and ends in one
// evaluation lies in the past and is stored as history without a
// notification. Items of inactive machines are evaluated by no observer.
// Returns EUNAVAILABLE when the database fails.
func (e *Engine) OnStored(ctx context.Context, tx *gorm.DB, b *ingest.Batch) error {
	now := e.now()
	items := batchItems(b)
	ms, err := loadMachines(ctx, tx, batchMachines(b))
	if err != nil {
		return err
	}
	for id, m := range ms {
		if !m.Active { // stored, but raises no alerts (see active.go)
			delete(ms, id)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	idx, err := e.index.forGroups(ctx, tx, machineGroups(ms), indexVersion(ms))
	if err != nil {
		return err
	}
	jobs, err := matchItems(ctx, tx, b.Scope, items, ms, idx)
	if err != nil {
		return err
	}
	if err := addResolutions(ctx, tx, b, ms, idx, jobs); err != nil {
		return err
	}
	return e.evaluate(ctx, tx, sortedJobs(jobs), now)
}

// matchItems runs the candidate observers of each item, the CPU-heavy part
// of a batch, under the tenant's share of rules.Tenants, and returns the
// watches that have new inputs. It stops with ctx's error when ctx ends
// (the batch's time budget, or the client gone), and with ERATELIMITED when
// the tenant's earlier batches keep its share past that.
func matchItems(ctx context.Context, tx *gorm.DB, sc models.Scope, items []*item, ms map[int64]*machineInfo,
	idx map[int64]*groupIndex) (map[pairKey]*job, error) {
	leave, err := ingest.EnterTenant(ctx, tx, sc.GroupID)
	if err != nil {
		return nil, err
	}
	defer leave()
	jobs := map[pairKey]*job{}
	var cands []*observer
	for _, it := range items {
		m := ms[it.machine]
		if m == nil {
			continue
		}
		cands = idx[m.UserGroup].candidates(cands[:0], it)
		for _, o := range cands {
			ok, err := o.matches(ctx, it, m)
			if err != nil {
				return nil, err
			}
			if ok {
				addItem(jobs, o, m, it)
			}
		}
	}
	return jobs, nil
}

// evaluate locks (creating when missing) the watches of jobs, runs them and
// stores the outcome.
func (e *Engine) evaluate(ctx context.Context, tx *gorm.DB, jobs []*job, now time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	if err := lockWatches(ctx, tx, jobs, now); err != nil {
		return err
	}
	for _, j := range jobs {
		if err := e.run(ctx, tx, j, now); err != nil {
			return err
		}
	}
	return e.persist(ctx, tx, jobs, now)
}

func addItem(jobs map[pairKey]*job, o *observer, m *machineInfo, it *item) {
	j := jobFor(jobs, o, m)
	j.inputs = append(j.inputs, it.input())
	if o.Observer == models.NonResolution && it.resolved != nil {
		j.inputs = append(j.inputs, Input{At: *it.resolved, Item: it.id, Kind: it.kind, Resolution: true})
	}
}

func jobFor(jobs map[pairKey]*job, o *observer, m *machineInfo) *job {
	k := pairKey{o.ID, m.ID}
	j, ok := jobs[k]
	if !ok {
		j = &job{o: o, m: m, w: &watch{Observer: o.ID, Machine: m.ID}}
		jobs[k] = j
	}
	return j
}

// sortedJobs orders jobs by (observer, machine), the order in which their
// watches are locked, so that concurrent batches cannot deadlock.
func sortedJobs(jobs map[pairKey]*job) []*job {
	out := make([]*job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j)
	}
	sortFunc(out, func(a, b *job) int {
		if c := cmpInt(a.o.ID, b.o.ID); c != 0 {
			return c
		}
		return cmpInt(a.m.ID, b.m.ID)
	})
	return out
}

func batchItems(b *ingest.Batch) []*item {
	out := make([]*item, 0, len(b.Events)+len(b.Transactions))
	for i := range b.Events {
		out = append(out, eventItem(&b.Events[i]))
	}
	for i := range b.Transactions {
		out = append(out, saleItem(&b.Transactions[i]))
	}
	return out
}

func batchMachines(b *ingest.Batch) []int64 {
	var ids []int64
	add := func(id int64) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, ev := range b.Events {
		add(ev.Machine)
	}
	for _, t := range b.Transactions {
		add(t.Machine)
	}
	for _, r := range b.Resolved {
		add(r.Machine)
	}
	return ids
}

// indexVersion returns the observer index version the machines were read
// with (the same for all: one statement read them).
func indexVersion(ms map[int64]*machineInfo) int64 {
	for _, m := range ms {
		return m.IndexVersion
	}
	return -1
}

func machineGroups(ms map[int64]*machineInfo) []int64 {
	var out []int64
	for _, m := range ms {
		if !slices.Contains(out, m.UserGroup) {
			out = append(out, m.UserGroup)
		}
	}
	return out
}

// addResolutions adds the resolutions of earlier events to the
// non_resolution watches that remember those events as open.
func addResolutions(ctx context.Context, tx *gorm.DB, b *ingest.Batch, ms map[int64]*machineInfo,
	idx map[int64]*groupIndex, jobs map[pairKey]*job) error {
	fresh := map[int64]bool{}
	for _, ev := range b.Events {
		fresh[ev.ID] = true
	}
	var earlier []ingest.Resolution
	var machines []int64
	for _, r := range b.Resolved {
		if !fresh[r.Event] && ms[r.Machine] != nil {
			earlier, machines = append(earlier, r), append(machines, r.Machine)
		}
	}
	if len(earlier) == 0 {
		return nil
	}
	ws, err := openWatches(ctx, tx, machines)
	if err != nil {
		return err
	}
	for _, w := range ws {
		m := ms[w.Machine]
		if m == nil { // inactive
			continue
		}
		o := idx[m.UserGroup].byID[w.Observer]
		if o == nil {
			continue
		}
		for _, r := range earlier {
			if r.Machine == w.Machine && slices.ContainsFunc(w.State.Open, func(oe OpenEvent) bool { return oe.ID == r.Event }) {
				j := jobFor(jobs, o, m)
				j.inputs = append(j.inputs, Input{At: r.ResolvedAt, Item: r.Event, Kind: models.ObserverEvent, Resolution: true})
			}
		}
	}
	return nil
}

// openWatches returns the judged non_resolution watches on machines.
func openWatches(ctx context.Context, tx *gorm.DB, machines []int64) ([]watch, error) {
	rows, err := pg.Query(ctx, tx, `SELECT w.observer, w.machine, w.state
		FROM alert_watches w JOIN alert_observers o ON o.id = w.observer
		WHERE w.machine = ANY($1) AND o.observer = 'non_resolution' AND w.state IS NOT NULL`, distinctIDs(machines))
	if err != nil {
		return nil, fmt.Errorf("open watches: %w", pg.MapError(err))
	}
	return scanWatches(rows)
}
