package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/web/webtest"
)

func login(h *webtest.Harness, from, username, password string) *webtest.Response {
	h.T.Helper()
	return h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/auth/login", From: from,
		Body: map[string]string{"username": username, "password": password}})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Login", true)

	var tk webtest.Tokens
	h.Login(a.Username, a.Password).Expect(t, http.StatusOK).Decode(t, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" {
		t.Fatalf("login answer without tokens")
	}
	h.Get("/api/v1/auth/me", tk.AccessToken).Expect(t, http.StatusOK)
	// Usernames are case-insensitive.
	h.Login(strings.ToUpper(a.Username), a.Password).Expect(t, http.StatusOK)

	h.Login(a.Username, "wrong password").ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Login("nobody-at-all", a.Password).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Login(a.Username, "").ExpectError(t, http.StatusBadRequest, "invalid")
	h.Post("/api/v1/auth/login", "", map[string]any{"username": a.Username, "password": 5}).
		ExpectError(t, http.StatusBadRequest, "invalid")

	// The two kinds of bad login answer alike.
	e1 := h.Login(a.Username, "wrong password").Error(t)
	e2 := h.Login("nobody-at-all", "wrong password").Error(t)
	if e1.Message != e2.Message || e1.Code != e2.Code {
		t.Errorf("bad password %+v and unknown user %+v answer differently", e1, e2)
	}

	// Missing, malformed and forged bearer tokens.
	r := h.Get("/api/v1/auth/me", "")
	r.ExpectError(t, http.StatusUnauthorized, "unauthorized")
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
	h.Get("/api/v1/auth/me", "not-a-jwt").ExpectError(t, http.StatusUnauthorized, "unauthorized")
	forged := tk.AccessToken[:len(tk.AccessToken)-4] + "AAAA"
	h.Get("/api/v1/auth/me", forged).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Do(webtest.Req{Method: http.MethodGet, Path: "/api/v1/auth/me",
		Header: http.Header{"Authorization": {"Basic " + tk.AccessToken}}}).
		ExpectError(t, http.StatusUnauthorized, "unauthorized")
}

func TestLoginLockoutPerUsername(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	alice := h.NewTenant("LockUser", true)
	bob := h.AddUser("LockUser", "lock-bob", false)

	// Four failures within the window do not lock.
	for range 4 {
		login(h, "127.0.1.1", alice.Username, "wrong").Expect(t, http.StatusUnauthorized)
		h.Clock.Advance(time.Minute)
	}
	login(h, "127.0.1.1", alice.Username, alice.Password).Expect(t, http.StatusOK)
	// A success clears the username's failures from its address: four more
	// still do not lock.
	for range 4 {
		login(h, "127.0.2.1", alice.Username, "wrong").Expect(t, http.StatusUnauthorized)
	}
	login(h, "127.0.2.1", alice.Username, alice.Password).Expect(t, http.StatusOK)

	// Five failures from five addresses within 15 minutes lock the username.
	for i := range 5 {
		login(h, fmt.Sprintf("127.0.3.%d", i+1), alice.Username, "wrong").Expect(t, http.StatusUnauthorized)
		h.Clock.Advance(3 * time.Minute)
	}
	locked := login(h, "127.0.3.9", alice.Username, alice.Password)
	locked.ExpectError(t, http.StatusTooManyRequests, "rate_limited")
	// the lock ends 30 minutes after the fifth failure, which was 3 minutes ago
	if got := locked.Header.Get("Retry-After"); got != "1620" {
		t.Errorf("Retry-After = %q, want 1620 (seconds)", got)
	}
	login(h, "127.0.3.9", strings.ToUpper(alice.Username), alice.Password).Expect(t, http.StatusTooManyRequests)
	// Only that username: bob logs in from the same address.
	login(h, "127.0.3.9", bob.Username, bob.Password).Expect(t, http.StatusOK)

	// The lock lasts 30 minutes from the fifth failure (which was 3 minutes ago).
	h.Clock.Advance(26 * time.Minute)
	if r := login(h, "127.0.3.9", alice.Username, alice.Password).Expect(t, http.StatusTooManyRequests); r.Header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After a minute before the end = %q, want 60", r.Header.Get("Retry-After"))
	}
	h.Clock.Advance(time.Minute + time.Second)
	login(h, "127.0.3.9", alice.Username, alice.Password).Expect(t, http.StatusOK)
}

// A success forgives only the failures from its own address: a user who
// logs in while someone elsewhere guesses does not give the guesser a fresh
// allowance.
func TestLoginLockoutSuccessForgivesOwnAddressOnly(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Forgive", true)
	for i := range 4 {
		login(h, fmt.Sprintf("127.0.1.%d", i+1), a.Username, "wrong").Expect(t, http.StatusUnauthorized)
	}
	login(h, "127.0.1.9", a.Username, a.Password).Expect(t, http.StatusOK)
	login(h, "127.0.1.5", a.Username, "wrong").Expect(t, http.StatusUnauthorized)
	login(h, "127.0.1.9", a.Username, a.Password).ExpectError(t, http.StatusTooManyRequests, "rate_limited")
}

func TestLoginLockoutSpreadFailuresDoNotLock(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Spread", true)
	// Five failures spread over more than 15 minutes.
	for i := range 5 {
		login(h, fmt.Sprintf("127.0.4.%d", i+1), a.Username, "wrong").Expect(t, http.StatusUnauthorized)
		h.Clock.Advance(4 * time.Minute)
	}
	login(h, "127.0.4.9", a.Username, a.Password).Expect(t, http.StatusOK)
}

func TestLoginLockoutPerAddress(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("LockAddr", true)
	for i := range 5 {
		login(h, "127.0.5.1", fmt.Sprintf("guess-%d", i), "wrong").Expect(t, http.StatusUnauthorized)
	}
	// The address is locked, even for a right password of another username.
	login(h, "127.0.5.1", a.Username, a.Password).ExpectError(t, http.StatusTooManyRequests, "rate_limited")
	// Another address is not.
	login(h, "127.0.5.2", a.Username, a.Password).Expect(t, http.StatusOK)
	h.Clock.Advance(30 * time.Minute)
	login(h, "127.0.5.1", a.Username, a.Password).Expect(t, http.StatusOK)
}

// A client cannot dodge the per-address lock-out by claiming another address
// in X-Forwarded-For or X-Real-IP: the router trusts no proxy headers.
func TestLoginLockoutIgnoresForwardedHeaders(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Spoof", true)
	for i := range 5 {
		h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/auth/login", From: "127.0.6.1",
			Header: http.Header{"X-Forwarded-For": {fmt.Sprintf("10.0.0.%d", i+1)},
				"X-Real-Ip": {fmt.Sprintf("10.0.1.%d", i+1)}},
			Body: map[string]string{"username": fmt.Sprintf("guess-%d", i), "password": "wrong"}}).
			Expect(t, http.StatusUnauthorized)
	}
	login(h, "127.0.6.1", a.Username, a.Password).Expect(t, http.StatusTooManyRequests)
}

func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Expiry", true)
	h.Clock.Advance(15*time.Minute - time.Second)
	h.Get("/api/v1/auth/me", a.AccessToken).Expect(t, http.StatusOK)
	h.Clock.Advance(2 * time.Second)
	h.Get("/api/v1/auth/me", a.AccessToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Get("/api/v1/machines", a.AccessToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	// The refresh token still gives a fresh access token.
	var tk webtest.Tokens
	h.Post("/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}).
		Expect(t, http.StatusOK).Decode(t, &tk)
	h.Get("/api/v1/auth/me", tk.AccessToken).Expect(t, http.StatusOK)
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Rotate", true)
	refresh := func(token string) *webtest.Response {
		t.Helper()
		return h.Post("/api/v1/auth/refresh", "", map[string]string{"refresh_token": token})
	}

	var p1 webtest.Tokens
	refresh(a.RefreshToken).Expect(t, http.StatusOK).Decode(t, &p1)
	if p1.RefreshToken == a.RefreshToken || p1.AccessToken == "" {
		t.Fatalf("refresh did not rotate: %+v", p1)
	}
	h.Get("/api/v1/auth/me", p1.AccessToken).Expect(t, http.StatusOK)
	// The new refresh token works once.
	var p2 webtest.Tokens
	refresh(p1.RefreshToken).Expect(t, http.StatusOK).Decode(t, &p2)
	// The old one is spent …
	refresh(a.RefreshToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	// … and presenting it revoked its whole family, the newest token too.
	refresh(p2.RefreshToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")

	// Another login's family is not affected.
	other := h.MustLogin(a.Username, a.Password)
	refresh(other.RefreshToken).Expect(t, http.StatusOK)

	// Junk and empty tokens.
	refresh("no-such-token").ExpectError(t, http.StatusUnauthorized, "unauthorized")
	refresh("").ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Post("/api/v1/auth/refresh", "", "{").ExpectError(t, http.StatusBadRequest, "invalid")

	// Refresh tokens expire after 30 days.
	fresh := h.MustLogin(a.Username, a.Password)
	h.Clock.Advance(30*24*time.Hour + time.Second)
	refresh(fresh.RefreshToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
}

// Twenty clients refreshing one token at once: exactly one gets a new pair.
func TestRefreshConcurrent(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Race", true)
	const n = 20
	reqs := make([]webtest.Req, n)
	for i := range reqs {
		reqs[i] = webtest.Req{Method: http.MethodPost, Path: "/api/v1/auth/refresh",
			Body: map[string]string{"refresh_token": a.RefreshToken}}
	}
	statuses := race(t, h, reqs)
	ok := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
		default:
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent refreshes succeeded, want exactly 1 (statuses %v)", ok, n, statuses)
	}
	var live int64
	h.DB.Raw("SELECT count(*) FROM refresh_tokens WHERE user_id = ? AND used_at IS NULL", a.UserID).Scan(&live)
	if live > 1 {
		t.Errorf("%d unused refresh tokens after the race, want at most 1", live)
	}
}

func TestMeShape(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("MeShape", true)
	me := h.Get("/api/v1/auth/me", a.AccessToken).Expect(t, http.StatusOK).Object(t)
	if me["username"] != a.Username || me["email"] != a.Email || me["id"] != float64(a.UserID) {
		t.Errorf("me = %v", me)
	}
	g, ok := me["userGroup"].(map[string]any)
	if !ok {
		t.Fatalf("userGroup is %T, want an object: %v", me["userGroup"], me)
	}
	if g["id"] != float64(a.GroupID) || g["name"] != "MeShape" || g["admin"] != float64(1) {
		t.Errorf("userGroup = %v", g)
	}
	if _, ok := me["language"]; !ok {
		t.Errorf("me has no language key: %v", me)
	}
	for k := range me {
		if strings.Contains(strings.ToLower(k), "password") {
			t.Errorf("me exposes %q", k)
		}
	}
	// With a language set, language is the language object.
	var lang int64
	h.DB.Raw("SELECT id FROM languages WHERE language = 'nl'").Scan(&lang)
	h.Put(fmt.Sprintf("/api/v1/users/%d", a.UserID), a.AccessToken, map[string]any{"language": lang}).
		Expect(t, http.StatusOK)
	me = h.Get("/api/v1/auth/me", a.AccessToken).Expect(t, http.StatusOK).Object(t)
	l, ok := me["language"].(map[string]any)
	if !ok || l["id"] != float64(lang) || l["language"] != "nl" || l["locale"] != "nl_NL" {
		t.Errorf("language = %v", me["language"])
	}
	// A machine key is not a user.
	f := h.MakeFleet(a.AccessToken, "me-")
	var key struct{ APIKey string }
	h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", f.IDs["machines"]), a.AccessToken, nil).
		Expect(t, http.StatusCreated).Decode(t, &key)
	h.Get("/api/v1/auth/me", key.APIKey).ExpectError(t, http.StatusForbidden, "forbidden")
}

type outboxRow struct {
	Kind      string
	ToAddress string
	Subject   string
	BodyText  string
}

func outbox(t *testing.T, h *webtest.Harness, to string) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := h.DB.Raw(`SELECT kind, to_address, subject, body_text FROM outbox WHERE to_address = ? ORDER BY id`,
		to).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

var mailToken = regexp.MustCompile(`\?token=([A-Za-z0-9_-]+)`)

func tokenIn(t *testing.T, body string) string {
	t.Helper()
	m := mailToken.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no ?token= in %q", body)
	}
	return m[1]
}

func TestForgotAndResetPassword(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Reset", true)
	forgot := func(email string) {
		t.Helper()
		h.Post("/api/v1/auth/password/forgot", "", map[string]string{"email": email}).Expect(t, http.StatusOK)
		h.Identity.Wait() // the email is written after the answer
	}

	// Unknown addresses answer the same and queue nothing.
	forgot("nobody@example.test")
	if rows := outbox(t, h, "nobody@example.test"); len(rows) != 0 {
		t.Errorf("mail queued for an unknown address: %v", rows)
	}
	h.Post("/api/v1/auth/password/forgot", "", map[string]string{"email": "not an address"}).
		ExpectError(t, http.StatusBadRequest, "invalid")

	forgot(strings.ToUpper(a.Email[:1]) + a.Email[1:])
	rows := outbox(t, h, a.Email)
	if len(rows) != 1 || rows[0].Kind != "password_reset" || rows[0].Subject == "" {
		t.Fatalf("outbox = %+v, want one password_reset to %s", rows, a.Email)
	}
	if !strings.Contains(rows[0].BodyText, "http://console.test/reset?token=") {
		t.Errorf("reset link not on the console address: %q", rows[0].BodyText)
	}
	token := tokenIn(t, rows[0].BodyText)

	reset := func(token, password string) *webtest.Response {
		t.Helper()
		return h.Post("/api/v1/auth/password/reset", "", map[string]string{"token": token, "password": password})
	}
	reset(token, "short").ExpectError(t, http.StatusBadRequest, "invalid") // policy first, token kept
	var tk webtest.Tokens
	reset(token, "a brand new password").Expect(t, http.StatusOK).Decode(t, &tk)
	h.Get("/api/v1/auth/me", tk.AccessToken).Expect(t, http.StatusOK)
	if e := reset(token, "another new password").ExpectError(t, http.StatusBadRequest, "invalid"); e.Fields["token"] == "" {
		t.Errorf("second use: %+v does not name token", e)
	}
	h.Login(a.Username, a.Password).Expect(t, http.StatusUnauthorized)
	h.Login(a.Username, "a brand new password").Expect(t, http.StatusOK)

	// An activation token is not a reset token.
	reset("made-up-token", "whatever password").ExpectError(t, http.StatusBadRequest, "invalid")

	// Reset tokens expire after 48 hours.
	forgot(a.Email)
	rows = outbox(t, h, a.Email)
	late := tokenIn(t, rows[len(rows)-1].BodyText)
	h.Clock.Advance(49 * time.Hour)
	reset(late, "too late password").ExpectError(t, http.StatusBadRequest, "invalid")
	h.Login(a.Username, "a brand new password").Expect(t, http.StatusOK)
}

func TestCreateUserSendsActivation(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Activate", true)
	sub := h.MustCreate(a.AccessToken, "/api/v1/usergroups", map[string]any{"name": "staff"})
	id := h.MustCreate(a.AccessToken, "/api/v1/users",
		map[string]any{"username": "newbie", "email": "newbie@example.test", "userGroup": sub})

	rows := outbox(t, h, "newbie@example.test")
	if len(rows) != 1 || rows[0].Kind != "activation" {
		t.Fatalf("outbox = %+v, want one activation", rows)
	}
	token := tokenIn(t, rows[0].BodyText)
	// Not yet activated: no password, no login.
	h.Login("newbie", "newbie password").Expect(t, http.StatusUnauthorized)
	// A reset cannot use an activation token.
	h.Post("/api/v1/auth/password/reset", "", map[string]string{"token": token, "password": "newbie password"}).
		ExpectError(t, http.StatusBadRequest, "invalid")

	var tk webtest.Tokens
	h.Post("/api/v1/auth/activate", "", map[string]string{"token": token, "password": "newbie password"}).
		Expect(t, http.StatusOK).Decode(t, &tk)
	me := h.Get("/api/v1/auth/me", tk.AccessToken).Expect(t, http.StatusOK).Object(t)
	if me["id"] != float64(id) || me["emailConfirmed"] != float64(1) {
		t.Errorf("me after activation = %v", me)
	}
	h.MustLogin("newbie", "newbie password")
	h.Post("/api/v1/auth/activate", "", map[string]string{"token": token, "password": "second password"}).
		ExpectError(t, http.StatusBadRequest, "invalid")

	// The new user, in a non-admin group, may not manage users or groups,
	// and sees nothing of the parent group.
	h.Post("/api/v1/users", tk.AccessToken, map[string]any{"username": "x", "email": "x@example.test"}).
		ExpectError(t, http.StatusForbidden, "forbidden")
	h.Post("/api/v1/usergroups", tk.AccessToken, map[string]any{"name": "x"}).
		ExpectError(t, http.StatusForbidden, "forbidden")
	h.Get(fmt.Sprintf("/api/v1/users/%d", a.UserID), tk.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	loc := h.MustCreate(a.AccessToken, "/api/v1/locations", webtest.LocationBody("parent's"))
	h.Get(fmt.Sprintf("/api/v1/locations/%d", loc), tk.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	// … while the parent's admin sees the child's resources.
	own := h.MustCreate(tk.AccessToken, "/api/v1/locations", webtest.LocationBody("child's"))
	h.Get(fmt.Sprintf("/api/v1/locations/%d", own), a.AccessToken).Expect(t, http.StatusOK)

	// Duplicate usernames and emails conflict.
	h.Post("/api/v1/users", a.AccessToken, map[string]any{"username": "NEWBIE", "email": "other@example.test"}).
		ExpectError(t, http.StatusConflict, "conflict")
	h.Post("/api/v1/users", a.AccessToken, map[string]any{"username": "other", "email": "Newbie@example.test"}).
		ExpectError(t, http.StatusConflict, "conflict")

	// Activation tokens expire after 48 hours too.
	h.MustCreate(a.AccessToken, "/api/v1/users", map[string]any{"username": "late", "email": "late@example.test"})
	late := tokenIn(t, outbox(t, h, "late@example.test")[0].BodyText)
	h.Clock.Advance(49 * time.Hour)
	h.Post("/api/v1/auth/activate", "", map[string]string{"token": late, "password": "late password"}).
		ExpectError(t, http.StatusBadRequest, "invalid")

}

func TestNonAdminTenantCannotCreateUsers(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	plain := h.NewTenant("Plain", false)
	h.Post("/api/v1/users", plain.AccessToken, map[string]any{"username": "x", "email": "x@example.test"}).
		ExpectError(t, http.StatusForbidden, "forbidden")
	h.Delete(fmt.Sprintf("/api/v1/users/%d", plain.UserID), plain.AccessToken).ExpectError(t, http.StatusForbidden, "forbidden")
	// It still manages its fleet.
	h.MustCreate(plain.AccessToken, "/api/v1/locations", webtest.LocationBody("mine"))
	var n int64
	h.DB.Raw("SELECT count(*) FROM outbox").Scan(&n)
	if n != 0 {
		t.Errorf("%d emails queued by refused requests", n)
	}
}
