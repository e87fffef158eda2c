package web_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/web/webtest"
)

// race sends reqs at once and returns their statuses.
func race(t *testing.T, h *webtest.Harness, reqs []webtest.Req) []int {
	t.Helper()
	statuses := make([]int, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		wg.Go(func() {
			<-start
			resp, err := h.TryDo(r)
			if err != nil {
				errs[i] = err
				return
			}
			statuses[i] = resp.Status
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return statuses
}

// raceLogins sends the logins at once, each from its own address when from
// is "", and returns how many answered each status.
func raceLogins(t *testing.T, h *webtest.Harness, from, username string, passwords []string) map[int]int {
	t.Helper()
	reqs := make([]webtest.Req, len(passwords))
	for i, pw := range passwords {
		addr := from
		if addr == "" {
			addr = fmt.Sprintf("127.0.%d.%d", 20+i/200, 1+i%200)
		}
		reqs[i] = webtest.Req{Method: http.MethodPost, Path: "/api/v1/auth/login", From: addr,
			Body: map[string]string{"username": username, "password": pw}}
	}
	count := map[int]int{}
	for _, s := range race(t, h, reqs) {
		count[s]++
	}
	return count
}

func wrongPasswords(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("wrong password %d", i)
	}
	return out
}

// Issue 9, finding 6: 31 logins at once, for one username, used to have all
// their passwords checked (30 × 401, and the right one 200). The attempts
// are counted before the check, under a lock: at most MaxFailures are
// checked, the rest answer 429, and once locked the right password is
// refused too.
func TestLoginLockoutHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	const n = 31
	for _, c := range []struct {
		name, group string
		from        string // "" = every login from its own address: the username's lock
	}{
		{"one address", "RaceOne", "127.0.9.1"},
		{"many addresses", "RaceMany", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := h.NewTenant(c.group, true)
			count := raceLogins(t, h, c.from, a.Username, wrongPasswords(n))
			if count[401] > identity.MaxFailures || count[401]+count[429] != n {
				t.Errorf("statuses %v: want at most %d × 401 and the rest 429", count, identity.MaxFailures)
			}
			login(h, "127.0.9.200", a.Username, a.Password).ExpectError(t, http.StatusTooManyRequests, "rate_limited")
			var rows int64
			h.DB.Raw("SELECT count(*) FROM login_failures WHERE key = ?", "user:"+a.Username).Scan(&rows)
			if rows > identity.MaxFailures {
				t.Errorf("%d failures counted for the username, want at most %d", rows, identity.MaxFailures)
			}
		})
	}
	// The right password racing with 30 wrong ones: still at most
	// MaxFailures wrong passwords are checked. (A success frees its own
	// place: the 200 does not count as a failure.)
	b := h.NewTenant("RaceRight", true)
	passwords := append(wrongPasswords(n-1), b.Password)
	count := raceLogins(t, h, "", b.Username, passwords)
	if count[401] > identity.MaxFailures || count[200] > 1 || count[200]+count[401]+count[429] != n {
		t.Errorf("statuses %v: want at most %d × 401, the right one 200 or 429, the rest 429", count, identity.MaxFailures)
	}
	if count[200] == 0 {
		login(h, "127.0.9.201", b.Username, b.Password).ExpectError(t, http.StatusTooManyRequests, "rate_limited")
	}
}

// An attempt being checked counts, but only until it is settled: a right
// password deletes it, so logins that merely overlap do not lock anybody
// out for half an hour.
func TestLoginLockoutPendingAttemptsEnd(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Pending", true)
	for range 3 * identity.MaxFailures {
		login(h, "127.0.9.50", a.Username, a.Password).Expect(t, http.StatusOK)
	}
	var left int64
	h.DB.Raw("SELECT count(*) FROM login_failures").Scan(&left)
	if left != 0 {
		t.Errorf("%d rows left by successful logins", left)
	}
}
