package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

type machineKey struct {
	Machine  int64  `json:"machine"`
	DeviceID string `json:"deviceId"`
	APIKey   string `json:"apiKey"`
}

func issueKey(t *testing.T, h *webtest.Harness, token string, machine int64) machineKey {
	t.Helper()
	r := h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", machine), token, nil)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("apikey: %s", r)
	}
	var k machineKey
	r.Decode(t, &k)
	obj := r.Object(t)
	if len(obj) != 3 {
		t.Errorf("apikey answer has fields %v, want machine, deviceId, apiKey", obj)
	}
	return k
}

func TestDeviceKeys(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Devices", true)
	b := h.NewTenant("Strangers", true)
	fa := h.MakeFleet(a.AccessToken, "dev-")
	fb := h.MakeFleet(b.AccessToken, "strange-")
	m := fa.IDs["machines"]

	k1 := issueKey(t, h, a.AccessToken, m)
	if k1.Machine != m || k1.DeviceID != fa.Hostname || !strings.HasPrefix(k1.APIKey, "vrd_") || len(k1.APIKey) < 40 {
		t.Fatalf("key = %+v", k1)
	}
	var who struct {
		Machine  int64  `json:"machine"`
		DeviceID string `json:"deviceId"`
	}
	h.Get("/api/v1/device/whoami", k1.APIKey).Expect(t, http.StatusOK).Decode(t, &who)
	if who.Machine != m || who.DeviceID != fa.Hostname {
		t.Errorf("whoami = %+v, want machine %d %s", who, m, fa.Hostname)
	}

	// A key may call only the device routes.
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/machines"},
		{"GET", fmt.Sprintf("/api/v1/machines/%d", m)},
		{"PUT", fmt.Sprintf("/api/v1/machines/%d", m)},
		{"POST", fmt.Sprintf("/api/v1/machines/%d/apikey", m)},
		{"GET", "/api/v1/users"},
		{"POST", "/api/v1/usergroups"},
		{"GET", "/api/v1/auth/me"},
		{"PUT", fmt.Sprintf("/api/v1/openinghours/machine/%d", m)},
		{"GET", "/api/v1/locations/export"},
	} {
		h.Do(webtest.Req{Method: rt.method, Path: rt.path, Token: k1.APIKey, Body: "{}"}).
			ExpectError(t, http.StatusForbidden, "forbidden")
	}
	// … and a user may not call them.
	h.Get("/api/v1/device/whoami", a.AccessToken).ExpectError(t, http.StatusForbidden, "forbidden")

	// A second key replaces the first.
	k2 := issueKey(t, h, a.AccessToken, m)
	if k2.APIKey == k1.APIKey {
		t.Fatalf("second key equals the first")
	}
	h.Get("/api/v1/device/whoami", k1.APIKey).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	h.Get("/api/v1/device/whoami", k2.APIKey).Expect(t, http.StatusOK)

	// Made-up keys.
	for _, k := range []string{"vrd_", "vrd_" + strings.Repeat("A", 43), k2.APIKey + "x", strings.ToUpper(k2.APIKey),
		strings.TrimPrefix(k2.APIKey, "vrd_")} {
		h.Get("/api/v1/device/whoami", k).ExpectError(t, http.StatusUnauthorized, "unauthorized")
	}

	// Another tenant's machine cannot get a key from A, nor A's from B.
	h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", fb.IDs["machines"]), a.AccessToken, nil).
		ExpectError(t, http.StatusNotFound, "not_found")
	h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", m), b.AccessToken, nil).
		ExpectError(t, http.StatusNotFound, "not_found")
	h.Get("/api/v1/device/whoami", k2.APIKey).Expect(t, http.StatusOK)

	// Keys are stored hashed.
	var stored string
	h.DB.Raw("SELECT key_hash FROM machine_keys WHERE machine_id = ?", m).Scan(&stored)
	if stored == "" || strings.Contains(k2.APIKey, stored) || strings.Contains(stored, strings.TrimPrefix(k2.APIKey, "vrd_")) {
		t.Errorf("key stored as %q", stored)
	}

	// Deleting the machine kills its key.
	other := h.MustCreate(a.AccessToken, "/api/v1/machines", map[string]any{"name": "temp", "hostname": "dev-temp",
		"location": fa.IDs["locations"]})
	k3 := issueKey(t, h, a.AccessToken, other)
	h.Get("/api/v1/device/whoami", k3.APIKey).Expect(t, http.StatusOK)
	h.Delete(fmt.Sprintf("/api/v1/machines/%d", other), a.AccessToken).Expect(t, http.StatusOK)
	h.Get("/api/v1/device/whoami", k3.APIKey).ExpectError(t, http.StatusUnauthorized, "unauthorized")

	// A renamed machine's key reports the new hostname.
	h.Put(fmt.Sprintf("/api/v1/machines/%d", m), a.AccessToken, map[string]any{"hostname": "dev-renamed"}).
		Expect(t, http.StatusOK)
	h.Get("/api/v1/device/whoami", k2.APIKey).Expect(t, http.StatusOK).Decode(t, &who)
	if who.DeviceID != "dev-renamed" {
		t.Errorf("whoami after rename = %+v", who)
	}
}
