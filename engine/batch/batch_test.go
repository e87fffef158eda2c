package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type runFunc = func(ctx context.Context, items []int) ([]int, error)

func double(items []int) []int {
	out := make([]int, len(items))
	for i, v := range items {
		out[i] = v * 2
	}
	return out
}

// pending counts the items queued in g behind the running batch.
func pending(g *Group[int, int]) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, r := range g.queue {
		n += len(r.items)
	}
	return n
}

// holdFirst sets g.Run to run, except that the first batch, once started,
// closes the returned channel and waits until n items are queued behind it.
// This makes the shape of the following batches deterministic.
func holdFirst(g *Group[int, int], n int, run runFunc) <-chan struct{} {
	started := make(chan struct{})
	var once sync.Once
	g.Run = func(ctx context.Context, items []int) ([]int, error) {
		once.Do(func() {
			close(started)
			for pending(g) < n {
				time.Sleep(20 * time.Microsecond)
			}
		})
		return run(ctx, items)
	}
	return started
}

// doAll calls g.Do concurrently once per item and returns the results by index.
func doAll(g *Group[int, int], items ...int) ([]int, []error) {
	outs := make([]int, len(items))
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Go(func() { outs[i], errs[i] = g.Do(context.Background(), item) })
	}
	wg.Wait()
	return outs, errs
}

// secondBatch runs Do(0) as a batch of its own, queues items behind it so
// that they form the second batch, checks that Do(0) succeeded, and returns
// the results of items.
func secondBatch(t *testing.T, g *Group[int, int], run runFunc, items ...int) ([]int, []error) {
	t.Helper()
	started := holdFirst(g, len(items), run)
	first := make(chan error, 1)
	go func() {
		out, err := g.Do(context.Background(), 0)
		if err == nil && out != 0 {
			err = fmt.Errorf("got %d, want 0", out)
		}
		first <- err
	}()
	<-started
	outs, errs := doAll(g, items...)
	if err := <-first; err != nil {
		t.Errorf("first batch: %v", err)
	}
	return outs, errs
}

// recorder is a Run that records its batches and checks they never overlap.
type recorder struct {
	mu       sync.Mutex
	batches  [][]int
	inflight atomic.Int32
	overlap  atomic.Bool
}

func (rec *recorder) run(_ context.Context, items []int) ([]int, error) {
	if rec.inflight.Add(1) != 1 {
		rec.overlap.Store(true)
	}
	defer rec.inflight.Add(-1)
	time.Sleep(time.Millisecond)
	rec.mu.Lock()
	rec.batches = append(rec.batches, slices.Clone(items))
	rec.mu.Unlock()
	return double(items), nil
}

// checkServed checks that every item got its own output and was in exactly one batch.
func checkServed(t *testing.T, rec *recorder, items, outs []int, errs []error) {
	t.Helper()
	for i, item := range items {
		if errs[i] != nil || outs[i] != item*2 {
			t.Errorf("Do(%d) = %d, %v; want %d, nil", item, outs[i], errs[i], item*2)
		}
	}
	seen := map[int]int{}
	for _, b := range rec.batches {
		for _, item := range b {
			seen[item]++
		}
	}
	for _, item := range items {
		if seen[item] != 1 {
			t.Errorf("item %d in %d batches, want 1", item, seen[item])
		}
	}
	if len(seen) != len(items) {
		t.Errorf("batches hold %d distinct items, want %d", len(seen), len(items))
	}
	if rec.overlap.Load() {
		t.Error("two Runs overlapped")
	}
}

// A lone call runs at once as a batch of one and gets its output.
func TestLoneCall(t *testing.T) {
	rec := &recorder{}
	g := &Group[int, int]{Run: rec.run}
	out, err := g.Do(context.Background(), 7)
	if err != nil || out != 14 {
		t.Fatalf("Do(7) = %d, %v; want 14, nil", out, err)
	}
	if want := [][]int{{7}}; len(rec.batches) != 1 || !slices.Equal(rec.batches[0], want[0]) {
		t.Fatalf("batches = %v, want %v", rec.batches, want)
	}
}

// Concurrent callers are coalesced into serial batches and each gets its own output.
func TestConcurrent(t *testing.T) {
	const n = 200
	rec := &recorder{}
	g := &Group[int, int]{}
	// holding the first batch until two items wait guarantees some coalescing
	holdFirst(g, 2, rec.run)
	items := make([]int, n)
	for i := range items {
		items[i] = i + 1
	}
	outs, errs := doAll(g, items...)
	checkServed(t, rec, items, outs, errs)
	if len(rec.batches) >= n {
		t.Errorf("%d Runs for %d calls, want fewer", len(rec.batches), n)
	}
}

// Max caps the batch size without losing items.
func TestMax(t *testing.T) {
	const n, limit = 50, 3
	rec := &recorder{}
	g := &Group[int, int]{Max: limit}
	holdFirst(g, n-1, rec.run) // all but the first caller queue up behind it
	items := make([]int, n)
	for i := range items {
		items[i] = i + 1
	}
	outs, errs := doAll(g, items...)
	checkServed(t, rec, items, outs, errs)
	full := 0
	for _, b := range rec.batches {
		if len(b) > limit {
			t.Errorf("batch of %d items, Max is %d", len(b), limit)
		}
		if len(b) == limit {
			full++
		}
	}
	if full == 0 {
		t.Errorf("no batch reached Max; batches = %v", rec.batches)
	}
}

// An error from Run reaches every caller of its batch, and no other.
func TestError(t *testing.T) {
	errBoom := errors.New("boom")
	g := &Group[int, int]{}
	_, errs := secondBatch(t, g, func(_ context.Context, items []int) ([]int, error) {
		if slices.Contains(items, 2) {
			return nil, errBoom
		}
		return double(items), nil
	}, 1, 2)
	for i, err := range errs {
		if !errors.Is(err, errBoom) {
			t.Errorf("caller %d: err = %v, want %v", i+1, err, errBoom)
		}
	}
	if out, err := g.Do(context.Background(), 3); err != nil || out != 6 {
		t.Errorf("after error: Do(3) = %d, %v; want 6, nil", out, err)
	}
}

// A Run returning too few or too many outputs yields an error, not a panic.
func TestWrongOutputCount(t *testing.T) {
	for _, extra := range []int{-1, 1} {
		g := &Group[int, int]{Run: func(_ context.Context, items []int) ([]int, error) {
			return make([]int, len(items)+extra), nil
		}}
		if _, err := g.Do(context.Background(), 1); err == nil {
			t.Errorf("%+d outputs: no error", extra)
		}
	}
}

// A panic in Run becomes an error for its batch's callers, and the group keeps working.
func TestPanic(t *testing.T) {
	g := &Group[int, int]{}
	_, errs := secondBatch(t, g, func(_ context.Context, items []int) ([]int, error) {
		if slices.Contains(items, 2) {
			panic("kaboom")
		}
		return double(items), nil
	}, 1, 2)
	for i, err := range errs {
		if err == nil {
			t.Errorf("caller %d: no error after panic", i+1)
		}
	}
	if out, err := g.Do(context.Background(), 3); err != nil || out != 6 {
		t.Errorf("after panic: Do(3) = %d, %v; want 6, nil", out, err)
	}
}

// Cancelling the leading caller's context does not cancel its Run, which keeps the context's values.
func TestLeaderCancelDoesNotCancelRun(t *testing.T) {
	type key struct{}
	running, cancelled := make(chan struct{}), make(chan struct{})
	var runErr error
	var runVal any
	g := &Group[int, int]{Run: func(ctx context.Context, items []int) ([]int, error) {
		close(running)
		<-cancelled
		runErr, runVal = ctx.Err(), ctx.Value(key{})
		return double(items), nil
	}}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	go func() {
		<-running
		cancel()
		close(cancelled)
	}()
	out, err := g.Do(ctx, 4)
	if err != nil || out != 8 {
		t.Fatalf("Do(4) = %d, %v; want 8, nil", out, err)
	}
	if runErr != nil {
		t.Errorf("Run's context is done: %v", runErr)
	}
	if runVal != "v" {
		t.Errorf("Run's context value = %v, want v", runVal)
	}
}

var errBadItem = errors.New("bad item")

// failOnBad fails the whole batch when any of its items is negative, as a
// shared statement fails on one value it cannot store.
func failOnBad(_ context.Context, items []int) ([]int, error) {
	for _, v := range items {
		if v < 0 {
			return nil, errBadItem
		}
	}
	return double(items), nil
}

func TestIsolate(t *testing.T) {
	tests := []struct {
		name    string
		isolate func(error) bool
		wantOK  bool // the good items succeed
	}{
		{name: "isolated", isolate: func(err error) bool { return errors.Is(err, errBadItem) }, wantOK: true},
		{name: "not the item's fault", isolate: func(error) bool { return false }},
		{name: "no isolation", isolate: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Group[int, int]{Isolate: tt.isolate}
			items := []int{1, -1, 2, 3}
			outs, errs := secondBatch(t, g, failOnBad, items...)
			for i, v := range items {
				switch {
				case v < 0 && !errors.Is(errs[i], errBadItem):
					t.Errorf("bad item %d: err %v, want its own error", v, errs[i])
				case v >= 0 && tt.wantOK && (errs[i] != nil || outs[i] != 2*v):
					t.Errorf("good item %d: %d, %v; want %d", v, outs[i], errs[i], 2*v)
				case v >= 0 && !tt.wantOK && !errors.Is(errs[i], errBadItem):
					t.Errorf("good item %d: err %v, want the batch's error", v, errs[i])
				}
			}
		})
	}
}
