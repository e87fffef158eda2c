package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vendrule/vendrule/web/webtest"
)

func refresh(h *webtest.Harness, token string) *webtest.Response {
	h.T.Helper()
	return h.Post("/api/v1/auth/refresh", "", map[string]string{"refresh_token": token})
}

// expectRevoked checks that none of sessions works any more: neither its
// access token nor its refresh token.
func expectRevoked(t *testing.T, h *webtest.Harness, sessions ...webtest.Tokens) {
	t.Helper()
	for _, s := range sessions {
		h.Get("/api/v1/auth/me", s.AccessToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
		refresh(h, s.RefreshToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	}
}

// Issue 9, finding 7: after a password reset an old refresh token still
// answered 200, and so did a disabled user's. A password change or reset,
// disabling and deleting a user end every token the user had, access tokens
// included; a new pair from the change or reset works.
func TestTokensRevoked(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	admin := h.NewTenant("Revoke", true)
	// user returns a fresh user with two sessions (two logins).
	user := func(name string) (*webtest.Tenant, webtest.Tokens) {
		u := h.AddUser("Revoke", h.Unique(name), false)
		return u, h.MustLogin(u.Username, u.Password)
	}

	t.Run("password change", func(t *testing.T) {
		u, other := user("change")
		change := func(current, next string) *webtest.Response {
			return h.Post("/api/v1/auth/password/change", u.AccessToken,
				map[string]string{"currentPassword": current, "password": next})
		}
		if e := change("not my password", "a new password").ExpectError(t, http.StatusBadRequest, "invalid"); e.Fields["currentPassword"] == "" {
			t.Errorf("wrong current password: %+v does not name currentPassword", e)
		}
		change(u.Password, "short").ExpectError(t, http.StatusBadRequest, "invalid")
		var fresh webtest.Tokens
		change(u.Password, "a new password").Expect(t, http.StatusOK).Decode(t, &fresh)
		expectRevoked(t, h, u.Tokens, other)
		h.Get("/api/v1/auth/me", fresh.AccessToken).Expect(t, http.StatusOK)
		refresh(h, fresh.RefreshToken).Expect(t, http.StatusOK)
		h.Login(u.Username, u.Password).ExpectError(t, http.StatusUnauthorized, "unauthorized")
		h.MustLogin(u.Username, "a new password")
	})

	t.Run("password reset", func(t *testing.T) {
		u, other := user("reset")
		h.Post("/api/v1/auth/password/forgot", "", map[string]string{"email": u.Email}).Expect(t, http.StatusOK)
		h.Identity.Wait()
		var fresh webtest.Tokens
		h.Post("/api/v1/auth/password/reset", "", map[string]string{
			"token": tokenIn(t, outbox(t, h, u.Email)[0].BodyText), "password": "a reset password"}).
			Expect(t, http.StatusOK).Decode(t, &fresh)
		expectRevoked(t, h, u.Tokens, other)
		h.Get("/api/v1/auth/me", fresh.AccessToken).Expect(t, http.StatusOK)
		refresh(h, fresh.RefreshToken).Expect(t, http.StatusOK)
	})

	t.Run("disable", func(t *testing.T) {
		u, other := user("disable")
		h.Put(userPath(u.UserID), admin.AccessToken, map[string]any{"disabledAt": someTime}).Expect(t, http.StatusOK)
		expectRevoked(t, h, u.Tokens, other)
		h.Login(u.Username, u.Password).ExpectError(t, http.StatusUnauthorized, "unauthorized")
		// Enabled again, the user logs in anew; the old tokens stay dead.
		h.Put(userPath(u.UserID), admin.AccessToken, map[string]any{"disabledAt": nil}).Expect(t, http.StatusOK)
		expectRevoked(t, h, u.Tokens, other)
		h.MustLogin(u.Username, u.Password)
	})

	t.Run("disabled without revocation", func(t *testing.T) {
		// Disabled behind the API's back (e.g. by hand in the database):
		// refresh still refuses, since it checks the user.
		u, _ := user("bydb")
		h.DB.Exec("UPDATE users SET disabled_at = now() WHERE id = ?", u.UserID)
		refresh(h, u.RefreshToken).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	})

	t.Run("delete", func(t *testing.T) {
		u, other := user("delete")
		h.Delete(userPath(u.UserID), admin.AccessToken).Expect(t, http.StatusOK)
		expectRevoked(t, h, u.Tokens, other)
	})

	t.Run("refresh racing a change", func(t *testing.T) {
		// A refresh that read the user before a password change committed
		// stores a token of the old generation: it must not work.
		u, _ := user("race")
		var fresh webtest.Tokens
		h.Post("/api/v1/auth/password/change", u.AccessToken,
			map[string]string{"currentPassword": u.Password, "password": "raced password"}).
			Expect(t, http.StatusOK).Decode(t, &fresh)
		sum := sha256.Sum256([]byte("raced-token"))
		h.DB.Exec(`INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at, generation)
			VALUES (?, ?, 'raced', ?, 0)`, hex.EncodeToString(sum[:]), u.UserID, h.Clock.Now().Add(time.Hour))
		refresh(h, "raced-token").ExpectError(t, http.StatusUnauthorized, "unauthorized")
	})

	// The admin's own session was never touched.
	h.Get("/api/v1/auth/me", admin.AccessToken).Expect(t, http.StatusOK)
	refresh(h, admin.RefreshToken).Expect(t, http.StatusOK)
}

// A machine key has no password to change.
func TestPasswordChangeRefusesDevices(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("ChangeDevice", true)
	f := h.MakeFleet(a.AccessToken, "chg-")
	var key struct{ APIKey string }
	h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", f.IDs["machines"]), a.AccessToken, nil).
		Expect(t, http.StatusCreated).Decode(t, &key)
	h.Post("/api/v1/auth/password/change", key.APIKey,
		map[string]string{"currentPassword": "x", "password": "whatever password"}).
		ExpectError(t, http.StatusForbidden, "forbidden")
	h.Post("/api/v1/auth/password/change", "",
		map[string]string{"currentPassword": "x", "password": "whatever password"}).
		ExpectError(t, http.StatusUnauthorized, "unauthorized")
}
