// Package batch coalesces concurrent calls into batches. A call that finds
// no batch running runs at once, alone; the calls that arrive while a batch
// runs wait together and go out as the next batch. Under load one round
// trip serves many callers, and an idle caller waits for no timer.
package batch

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Group runs batches of items through Run, one batch at a time, in the
// order their first items arrived.
type Group[I, O any] struct {
	// Run handles one batch and returns one output per item, in order.
	// It runs with the context of the batch's first caller, without its
	// cancellation: a batch, once started, is finished for all its items.
	Run func(ctx context.Context, items []I) ([]O, error)
	// Max is the largest batch; 0 means no limit.
	Max int
	// Timeout bounds one Run; 0 means 30 seconds.
	Timeout time.Duration
	// Isolate, when set, reports whether a batch's error may be the fault
	// of one of its items (bad input rather than a lost connection). Such a
	// batch of several items runs again one item at a time, so that each
	// caller gets its own item's outcome and one bad item never fails the
	// others.
	Isolate func(error) bool

	mu    sync.Mutex
	busy  bool           // a batch is running
	queue []*round[I, O] // batches waiting, oldest first
}

// round is one batch: its items, and what its callers wait on.
type round[I, O any] struct {
	items []I
	out   []O
	err   error
	errs  []error       // per item, when the batch was run one item at a time
	lead  chan struct{} // closed when the batch's first caller may run it
	done  chan struct{} // closed when the batch has run
}

// Do adds item to the next batch and returns its output once that batch
// has run. Errors of Run are returned to every caller of the batch.
func (g *Group[I, O]) Do(ctx context.Context, item I) (O, error) {
	g.mu.Lock()
	var r *round[I, O]
	if n := len(g.queue); n > 0 && (g.Max <= 0 || len(g.queue[n-1].items) < g.Max) {
		r = g.queue[n-1]
	}
	leader := r == nil
	if leader {
		r = &round[I, O]{lead: make(chan struct{}), done: make(chan struct{})}
		g.queue = append(g.queue, r)
	}
	i := len(r.items)
	r.items = append(r.items, item)
	if !g.busy {
		g.startNext()
	}
	g.mu.Unlock()
	if leader {
		<-r.lead
		g.run(ctx, r)
	} else {
		<-r.done
	}
	var zero O
	if r.err != nil {
		return zero, r.err
	}
	if r.errs != nil && r.errs[i] != nil {
		return zero, r.errs[i]
	}
	return r.out[i], nil
}

// startNext hands the oldest waiting batch, if any, to its leader (g.mu
// held).
func (g *Group[I, O]) startNext() {
	if len(g.queue) == 0 {
		return
	}
	g.busy = true
	r := g.queue[0]
	g.queue = g.queue[1:]
	close(r.lead)
}

func (g *Group[I, O]) run(ctx context.Context, r *round[I, O]) {
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	// whatever Run does (return, panic, Goexit), the batch's callers are
	// answered and the next batch starts
	defer func() {
		cancel()
		if p := recover(); p != nil {
			r.out, r.err = nil, fmt.Errorf("batch: panic: %v", p)
		} else if r.err == nil && len(r.out) != len(r.items) {
			r.err = fmt.Errorf("batch: %d outputs for %d items", len(r.out), len(r.items))
		}
		g.mu.Lock()
		g.busy = false
		g.startNext()
		g.mu.Unlock()
		close(r.done)
	}()
	r.out, r.err = g.Run(rctx, r.items)
	if r.err != nil && len(r.items) > 1 && g.Isolate != nil && g.Isolate(r.err) {
		r.err = nil
		r.out, r.errs = g.runEach(rctx, r.items)
	}
}

// runEach runs items one at a time and returns the outputs and errors of
// each.
func (g *Group[I, O]) runEach(ctx context.Context, items []I) ([]O, []error) {
	out, errs := make([]O, len(items)), make([]error, len(items))
	for i, it := range items {
		o, err := g.Run(ctx, []I{it})
		if err == nil && len(o) != 1 {
			err = fmt.Errorf("batch: %d outputs for 1 item", len(o))
		}
		if errs[i] = err; err == nil {
			out[i] = o[0]
		}
	}
	return out, errs
}
