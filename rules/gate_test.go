package rules

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// TestGateBoundsATenantNotOthers fills tenant B's slots and checks that B's
// next request waits and gives up with ERATELIMITED while tenant A still
// gets in at once, and that B gets in again when a slot is given back.
func TestGateBoundsATenantNotOthers(t *testing.T) {
	g := NewGate(3, 2)
	const a, b = 1, 2
	var leaves []func()
	for range 2 {
		leave, err := g.Enter(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leave)
	}
	if n := g.Running(b); n != 2 {
		t.Fatalf("running(b) = %d, want 2", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // B's third request has no time left to wait
	_, err := g.Enter(ctx, b)
	wantCode(t, err, models.ERATELIMITED)

	leaveA, err := g.Enter(context.Background(), a)
	if err != nil {
		t.Fatalf("tenant A waited behind B: %v", err)
	}
	leaveA()

	done := make(chan error)
	go func() {
		leave, err := g.Enter(context.Background(), b)
		if err == nil {
			leave()
		}
		done <- err
	}()
	leaves[0]()
	leaves[0]() // leaving twice gives back one slot only
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	leaves[1]()
	if n := g.Running(b); n != 0 {
		t.Errorf("running(b) = %d after all left", n)
	}
}

// TestGateTotal checks the bound over all tenants.
func TestGateTotal(t *testing.T) {
	g := NewGate(1, 1)
	leave, err := g.Enter(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = g.Enter(ctx, 2)
	wantCode(t, err, models.ERATELIMITED)
	if n := g.Running(2); n != 0 {
		t.Errorf("a refused request still holds a tenant slot: %d", n)
	}
	leave()
}

// TestGateUnderLoad hammers the gate from many goroutines of two tenants and
// checks that a tenant never holds more than its share.
func TestGateUnderLoad(t *testing.T) {
	g := NewGate(4, 2)
	var mu sync.Mutex
	inFlight, worst := map[int64]int{}, map[int64]int{}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			tenant := int64(i % 2)
			leave, err := g.Enter(context.Background(), tenant)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inFlight[tenant]++
			worst[tenant] = max(worst[tenant], inFlight[tenant])
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inFlight[tenant]--
			mu.Unlock()
			leave()
		})
	}
	wg.Wait()
	for tenant, n := range worst {
		if n > 2 {
			t.Errorf("tenant %d held %d slots at once, want at most 2", tenant, n)
		}
	}
}
