package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/web/webtest"
)

func forgotFrom(h *webtest.Harness, from, email string) *webtest.Response {
	h.T.Helper()
	return h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/auth/password/forgot", From: from,
		Body: map[string]string{"email": email}})
}

// Issue 9, finding 8: 15 calls queued 15 emails. One client may make
// ResetsPerClient requests an hour (then 429), and one address receives
// ResetsPerAddress emails an hour; further requests for it are answered
// alike and send nothing.
func TestForgotPasswordLimits(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	t.Cleanup(h.Identity.Wait)
	a := h.NewTenant("Forgot", true)

	count := map[int]int{}
	for range 15 {
		count[forgotFrom(h, "127.0.8.1", a.Email).Status]++
	}
	if count[200] != identity.ResetsPerClient || count[429] != 15-identity.ResetsPerClient {
		t.Errorf("statuses %v, want %d × 200 and the rest 429", count, identity.ResetsPerClient)
	}
	forgotFrom(h, "127.0.8.1", "unknown@example.test").ExpectError(t, http.StatusTooManyRequests, "rate_limited")
	h.Identity.Wait()
	if rows := outbox(t, h, a.Email); len(rows) != identity.ResetsPerAddress {
		t.Errorf("%d emails queued, want %d", len(rows), identity.ResetsPerAddress)
	}

	// From other clients the address still receives nothing more, silently.
	for i := range 3 {
		forgotFrom(h, fmt.Sprintf("127.0.8.%d", 10+i), a.Email).Expect(t, http.StatusOK)
	}
	h.Identity.Wait()
	if rows := outbox(t, h, a.Email); len(rows) != identity.ResetsPerAddress {
		t.Errorf("%d emails queued after other clients asked, want %d", len(rows), identity.ResetsPerAddress)
	}

	// An hour later both limits have passed.
	h.Clock.Advance(identity.ResetWindow + time.Second)
	forgotFrom(h, "127.0.8.1", a.Email).Expect(t, http.StatusOK)
	h.Identity.Wait()
	if rows := outbox(t, h, a.Email); len(rows) != identity.ResetsPerAddress+1 {
		t.Errorf("%d emails queued an hour later, want %d", len(rows), identity.ResetsPerAddress+1)
	}
}

// Requests for unknown addresses count against the client too, so a 429
// says nothing about any address.
func TestForgotPasswordClientLimitCountsUnknownAddresses(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	t.Cleanup(h.Identity.Wait)
	a := h.NewTenant("ForgotProbe", true)
	for i := range identity.ResetsPerClient {
		forgotFrom(h, "127.0.8.30", fmt.Sprintf("probe%d@example.test", i)).Expect(t, http.StatusOK)
	}
	forgotFrom(h, "127.0.8.30", a.Email).ExpectError(t, http.StatusTooManyRequests, "rate_limited")
	h.Identity.Wait()
	if rows := outbox(t, h, a.Email); len(rows) != 0 {
		t.Errorf("refused request queued %d emails", len(rows))
	}
}

// The answer to a known address and to an unknown one is the same, byte for
// byte, and the work done before answering is the same: one request row,
// with the email written afterwards.
func TestForgotPasswordAnswersAlike(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	t.Cleanup(h.Identity.Wait)
	a := h.NewTenant("ForgotAlike", true)
	disabled := h.AddUser("ForgotAlike", h.Unique("off"), false)
	h.DB.Exec("UPDATE users SET disabled_at = now() WHERE id = ?", disabled.UserID)

	known := forgotFrom(h, "127.0.8.40", a.Email)
	for _, email := range []string{"nobody@example.test", disabled.Email} {
		other := forgotFrom(h, "127.0.8.40", email)
		if other.Status != known.Status || !bytes.Equal(other.Body, known.Body) ||
			other.Header.Get("Content-Type") != known.Header.Get("Content-Type") {
			t.Errorf("%s answers %s, a known address %s", email, other, known)
		}
	}
	h.Identity.Wait()
	var requests, mailed int64
	h.DB.Raw("SELECT count(*), count(*) FILTER (WHERE mailed) FROM password_reset_requests").Row().Scan(&requests, &mailed)
	if requests != 3 || mailed != 1 {
		t.Errorf("%d requests, %d mailed; want 3 and 1", requests, mailed)
	}
	if rows := outbox(t, h, disabled.Email); len(rows) != 0 {
		t.Errorf("a disabled user got %d reset emails", len(rows))
	}
}

// A request whose email was never written (the process stopped after the
// answer) is finished by housekeeping.
func TestForgotPasswordLeftoversFinishedByPurge(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("ForgotLeft", true)
	h.DB.Exec("INSERT INTO password_reset_requests (email, client, requested_at) VALUES (?, 'x', ?)",
		a.Email, h.Clock.Now())
	if err := h.Identity.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rows := outbox(t, h, a.Email); len(rows) != 1 || rows[0].Kind != "password_reset" {
		t.Errorf("outbox = %+v, want one password_reset", rows)
	}
	// An hour on, the request rows go.
	h.Clock.Advance(identity.ResetWindow + time.Second)
	if err := h.Identity.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left int64
	h.DB.Raw("SELECT count(*) FROM password_reset_requests").Scan(&left)
	if left != 0 {
		t.Errorf("%d reset requests left after an hour", left)
	}
}
