package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// Hostnames are unique per tenant: two tenants may both have a machine
// "shared-host" and neither learns of the other's; each device key speaks
// for its own tenant's machine; inside one tenant a hostname is still taken
// once (409 naming the field).
func TestHostnamesUniquePerTenant(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a, b := h.NewTenant("HostsA", true), h.NewTenant("HostsB", true)
	host := h.Unique("shared-host")
	machine := func(tn *webtest.Tenant, hostname string) *webtest.Response {
		loc := h.MustCreate(tn.AccessToken, "/api/v1/locations", webtest.LocationBody(h.Unique("loc")))
		return h.Post("/api/v1/machines", tn.AccessToken, map[string]any{"name": "m", "hostname": hostname, "location": loc})
	}
	mA := machine(a, host).Expect(t, http.StatusCreated).ID(t)
	mB := machine(b, host).Expect(t, http.StatusCreated).ID(t) // today's 409 told B that A's machine exists
	e := machine(a, host).ExpectError(t, http.StatusConflict, "conflict")
	if e.Message != "already exists: hostname" || e.Fields["hostname"] == "" {
		t.Errorf("same tenant, same hostname: %+v", e)
	}
	// A rename onto a hostname of the same tenant clashes too; onto another tenant's, it does not.
	other := machine(a, h.Unique("other-host")).Expect(t, http.StatusCreated).ID(t)
	var loc int64
	h.DB.Raw("SELECT location FROM machines WHERE id = ?", other).Scan(&loc)
	rename := func(hostname string) *webtest.Response {
		return h.Put(fmt.Sprintf("/api/v1/machines/%d", other), a.AccessToken,
			map[string]any{"name": "m", "hostname": hostname, "location": loc})
	}
	rename(host).ExpectError(t, http.StatusConflict, "conflict")
	rename(h.Unique("third-host")).Expect(t, http.StatusOK)

	// Each tenant's device key names its own machine.
	for _, c := range []struct {
		tn      *webtest.Tenant
		machine int64
	}{{a, mA}, {b, mB}} {
		var key struct{ APIKey string }
		h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", c.machine), c.tn.AccessToken, nil).
			Expect(t, http.StatusCreated).Decode(t, &key)
		who := h.Get("/api/v1/device/whoami", key.APIKey).Expect(t, http.StatusOK).Object(t)
		if who["machine"] != float64(c.machine) || who["deviceId"] != host {
			t.Errorf("%s's device: whoami %v, want machine %d as %s", c.tn.Group, who, c.machine, host)
		}
		list := h.Get("/api/v1/machines?where[hostname][eq]="+host, c.tn.AccessToken).Expect(t, http.StatusOK).Objects(t)
		if len(list) != 1 || list[0]["id"] != float64(c.machine) {
			t.Errorf("%s lists %v for %s, want only machine %d", c.tn.Group, list, host, c.machine)
		}
	}
}
