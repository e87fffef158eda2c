package rules

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/vendrule/vendrule/models"
)

// Gate bounds how much rule work runs at once: at most PerTenant heavy
// sections (an ingestion batch's observers, a backtest, a rules check) of
// one tenant, and at most Total in all. Limits alone bound one evaluation;
// the gate keeps one tenant's many heavy evaluations from taking every
// core, so that other tenants' requests and the shared redeem path keep a
// core of their own. The zero value is not usable; use NewGate.
type Gate struct {
	total     chan struct{}
	perTenant int

	mu      sync.Mutex
	running map[int64]int // sections in flight per tenant
	waiters map[int64]chan struct{}
}

// NewGate returns a gate of total slots of which one tenant may hold
// perTenant; values below 1 count as 1.
func NewGate(total, perTenant int) *Gate {
	return &Gate{total: make(chan struct{}, max(total, 1)), perTenant: max(perTenant, 1),
		running: map[int64]int{}, waiters: map[int64]chan struct{}{}}
}

// Tenants is the gate of the process. On a machine of n cores a tenant may
// use half of them (at least one) and all tenants together all of them, so
// that a tenant alone can never take every core.
var Tenants = NewGate(runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0)/2)

// Enter waits for a slot of tenant (its root user group) and a slot of the
// gate, and returns the function that gives them back. When ctx ends first
// it returns ERATELIMITED: the tenant's earlier heavy requests are still
// running.
func (g *Gate) Enter(ctx context.Context, tenant int64) (leave func(), err error) {
	if err := g.enterTenant(ctx, tenant); err != nil {
		return nil, err
	}
	select {
	case g.total <- struct{}{}:
	case <-ctx.Done():
		g.leaveTenant(tenant)
		return nil, busy()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-g.total
			g.leaveTenant(tenant)
		})
	}, nil
}

// enterTenant takes one of tenant's slots, waiting while all are taken.
func (g *Gate) enterTenant(ctx context.Context, tenant int64) error {
	for {
		g.mu.Lock()
		if g.running[tenant] < g.perTenant {
			g.running[tenant]++
			g.mu.Unlock()
			return nil
		}
		wake := g.waiters[tenant]
		if wake == nil {
			wake = make(chan struct{})
			g.waiters[tenant] = wake
		}
		g.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return busy()
		}
	}
}

// leaveTenant gives back one of tenant's slots and wakes its waiters, which
// race for it again.
func (g *Gate) leaveTenant(tenant int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[tenant]--; g.running[tenant] <= 0 {
		delete(g.running, tenant)
	}
	if wake := g.waiters[tenant]; wake != nil {
		close(wake)
		delete(g.waiters, tenant)
	}
}

// Running returns how many sections of tenant are in flight.
func (g *Gate) Running(tenant int64) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running[tenant]
}

// busy is the error of a request that found no slot in time.
func busy() error {
	return models.RateLimited(time.Second,
		"too much rule work of this tenant is running at once; retry when earlier requests have finished")
}
