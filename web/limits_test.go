package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// heavyCondition is within every limit of one evaluation but costs about a
// millisecond (a sort of 50 000 numbers), so that a batch of many events
// adds up.
const heavyCondition = `len(sort(1..50000)) > 0`

// TestRulesCheckStopsExpensiveBuiltins is the reproduction of issue 9: the
// check answered after minutes; now a limit stops it at once.
func TestRulesCheckStopsExpensiveBuiltins(t *testing.T) {
	e := newIngestEnv(t)
	for _, src := range []string{`len(uniq(1..99999)) > 0`, `len(uniq(1..15000)) > 0`} {
		start := time.Now()
		body := e.h.Post("/api/v1/rules/check", e.tn.AccessToken,
			map[string]any{"expr": src, "kind": "redemption", "sample": map[string]any{}}).
			ExpectError(t, http.StatusBadRequest, "invalid")
		if !strings.Contains(body.Message, "too much work") {
			t.Errorf("%s: message %q", src, body.Message)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: answered after %v", src, d)
		}
	}
}

// TestIngestBudgetIsSpent gives a batch a budget its observers cannot
// keep: the answer is 503 and nothing of the batch is stored.
func TestIngestBudgetIsSpent(t *testing.T) {
	e := newIngestEnv(t)
	e.h.MustCreate(e.tn.AccessToken, "/api/v1/alertobservers", with(validObserver(), "condition", heavyCondition))
	e.h.Ingest.Budget = 20 * time.Millisecond
	body := e.h.Post("/api/v1/logs", e.deviceKey, events(1, 500)).
		ExpectError(t, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(body.Message, "time budget") {
		t.Errorf("message %q", body.Message)
	}
	if n := e.count(t, "/api/v1/logs"); n != "0" {
		t.Errorf("%s events stored by a batch over its budget", n)
	}
}

// TestHeavyTenantDoesNotStarveOthers lets tenant B hammer heavy observers
// and heavy rule checks while tenant A uploads events and checks cheap
// rules. Every request of A must succeed; B's may be refused (429, 503) or
// fail a limit (400), never with a server error. No latency is asserted:
// the gate (rules.Tenants) is what keeps B to its share of the cores.
func TestHeavyTenantDoesNotStarveOthers(t *testing.T) {
	a := newIngestEnv(t)
	b := addIngestTenant(t, a.h, "Bravo", "bravo")
	b.h.MustCreate(b.tn.AccessToken, "/api/v1/alertobservers", with(validObserver(), "condition", heavyCondition))

	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	bStatus := map[int]int{}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var r int
				if i%2 == 0 {
					from := int64(w*100_000 + i*100)
					r = b.h.Post("/api/v1/logs", b.deviceKey, events(from, from+50)).Status
				} else {
					r = b.h.Post("/api/v1/rules/check", b.tn.AccessToken, map[string]any{"expr": `len(uniq(1..490)) > 0`,
						"kind": "redemption", "sample": map[string]any{}}).Status
				}
				mu.Lock()
				bStatus[r]++
				mu.Unlock()
			}
		})
	}
	for i := range 20 {
		a.h.Post("/api/v1/rules/check", a.tn.AccessToken, map[string]any{"expr": "order.amount > 100",
			"kind": "redemption", "sample": map[string]any{"order": map[string]any{"amount": 250}}}).
			Expect(t, http.StatusOK)
		if res := a.post(t, "/api/v1/logs", a.deviceKey, event(int64(i+1), "A", i)); res.Stored != 1 {
			t.Errorf("A's event %d: stored %d", i, res.Stored)
		}
	}
	close(stop)
	wg.Wait()
	for status, n := range bStatus {
		switch status {
		case http.StatusOK, http.StatusBadRequest, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		default:
			t.Errorf("B got %d answers %d", n, status)
		}
	}
	t.Logf("B's answers: %v", fmt.Sprint(bStatus))
}
