package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/web"
	"github.com/vendrule/vendrule/web/webtest"
)

// voucherHarness is a webtest harness whose router also serves vouchers,
// plus a second router (a second replica) on the same database.
type voucherHarness struct {
	*webtest.Harness
	second *httptest.Server
}

func newVoucherHarness(t *testing.T) *voucherHarness {
	h := webtest.New(t)
	router := func() http.Handler {
		vs := vouchers.New(h.DB)
		vs.Now = h.Clock.Now
		t.Cleanup(vs.Close)
		return web.NewRouter(web.Deps{DB: h.DB, Identity: h.Identity, Fleet: h.Fleet, Vouchers: vs,
			Registry: prometheus.NewRegistry(), Log: slog.New(slog.DiscardHandler)})
	}
	h.Server.Config.Handler = router()
	second := httptest.NewServer(router())
	t.Cleanup(second.Close)
	return &voucherHarness{Harness: h, second: second}
}

// device makes a machine in the tenant of token and returns its hostname
// and key.
func (h *voucherHarness) device(token string) (string, string) {
	h.T.Helper()
	loc := h.MustCreate(token, "/api/v1/locations", webtest.LocationBody(h.Unique("loc")))
	host := h.Unique("host-")
	m := h.MustCreate(token, "/api/v1/machines", map[string]any{"name": host, "hostname": host, "location": loc})
	var key struct{ APIKey string }
	h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", m), token, nil).Expect(h.T, http.StatusCreated).Decode(h.T, &key)
	return host, key.APIKey
}

func (h *voucherHarness) voucher(token string, campaign map[string]any) string {
	h.T.Helper()
	id := h.MustCreate(token, "/api/v1/campaigns", campaign)
	var v struct{ Code string }
	h.Post("/api/v1/vouchers", token, map[string]any{"campaign": id}).Expect(h.T, http.StatusCreated).Decode(h.T, &v)
	return v.Code
}

func TestVoucherDeviceFlow(t *testing.T) {
	h := newVoucherHarness(t)
	tn := h.NewTenant("Acme", true)
	host, key := h.device(tn.AccessToken)
	code := h.voucher(tn.AccessToken, map[string]any{"name": "gift", "type": "gift", "voucherValue": 500})
	base := "/api/v1/voucher/" + code

	var val vouchers.ValidateResponse
	h.Post(base+"/validate", key, map[string]any{"deviceId": host, "lockDuration": 30}).Expect(t, 200).Decode(t, &val)
	if !val.Valid || val.Discount.AmountOff != 500 || val.LockedTill == nil {
		t.Fatalf("validate: %+v", val)
	}
	redeem := map[string]any{"deviceId": host, "order": map[string]any{"id": "o-1", "amount": 180}, "demand": map[string]any{"amount": 180}}
	first := h.Post(base+"/redeem", key, redeem).Expect(t, 200)
	again := h.Post(base+"/redeem", key, redeem).Expect(t, 200)
	if !bytes.Equal(first.Body, again.Body) || !strings.Contains(string(first.Body), `"redeemed":true`) {
		t.Fatalf("redeem %s, retry %s", first.Body, again.Body)
	}
	rb := map[string]any{"deviceId": host, "order": map[string]any{"id": "o-1"}}
	if r := h.Post(base+"/rollback", key, rb).Expect(t, 200).Object(t); r["rolledBack"] != true {
		t.Fatalf("rollback: %v", r)
	}
	if r := h.Post(base+"/rollback", key, rb).Expect(t, 200).Object(t); r["rolledBack"] != false {
		t.Fatalf("second rollback: %v", r)
	}
	h.Post(base+"/validate", key, map[string]any{"deviceId": "someone-else"}).ExpectError(t, 403, "forbidden")
	if r := h.Post("/api/v1/voucher/NOPE/validate", key, map[string]any{"deviceId": host}).Expect(t, 200).Object(t); r["reason"] != "not_found" {
		t.Fatalf("unknown code: %v", r)
	}
	h.Do(webtest.Req{Method: "DELETE", Path: base + "/lock", Token: key, Body: map[string]any{"deviceId": host}}).Expect(t, 200)
	h.Get("/api/v1/vouchers", key).ExpectError(t, 403, "forbidden")

	var list []map[string]any
	h.Get("/api/v1/vouchers?where[code][eq]="+code, tn.AccessToken).Expect(t, 200).Decode(t, &list)
	if len(list) != 1 || list[0]["balance"] != float64(500) {
		t.Fatalf("voucher list: %v", list)
	}
	var logs []map[string]any
	h.Get(fmt.Sprintf("/api/v1/vouchers/%s/logs", list[0]["id"]), tn.AccessToken).Expect(t, 200).Decode(t, &logs)
	if len(logs) != 6 {
		t.Fatalf("%d logs, want 6 (validate, 2 redeem, 2 rollback, unlock)", len(logs))
	}
	csv := h.Get("/api/v1/vouchers/export?columns[]=code&columns[]=totalRedemptionCount", tn.AccessToken).Expect(t, 200)
	if string(csv.Body) != "code,totalRedemptionCount\n"+code+",0\n" {
		t.Fatalf("export: %q", csv.Body)
	}
	h.Get("/api/v1/voucherlogs/export", tn.AccessToken).Expect(t, 200)
}

func TestVoucherIsolationAndExpressions(t *testing.T) {
	h := newVoucherHarness(t)
	a := h.NewTenant("Alpha", true)
	b := h.NewTenant("Beta", true)
	id := h.MustCreate(a.AccessToken, "/api/v1/campaigns", map[string]any{"name": "c", "voucherValue": 100, "totalVouchers": 3})
	h.Get(fmt.Sprintf("/api/v1/campaigns/%d", id), b.AccessToken).ExpectError(t, 404, "not_found")
	h.Get(fmt.Sprintf("/api/v1/campaigns/%d/vouchers", id), b.AccessToken).ExpectError(t, 404, "not_found")
	var vs []map[string]any
	h.Get(fmt.Sprintf("/api/v1/campaigns/%d/vouchers", id), a.AccessToken).Expect(t, 200).Decode(t, &vs)
	for deadline := time.Now().Add(10 * time.Second); len(vs) < 3 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // generation runs in the background
		h.Get(fmt.Sprintf("/api/v1/campaigns/%d/vouchers", id), a.AccessToken).Expect(t, 200).Decode(t, &vs)
	}
	if len(vs) != 3 {
		t.Fatalf("%d vouchers", len(vs))
	}
	h.Get("/api/v1/vouchers/"+vs[0]["id"].(string), b.AccessToken).ExpectError(t, 404, "not_found")
	h.Get("/api/v1/vouchers/not-a-uuid", a.AccessToken).ExpectError(t, 404, "not_found")
	hostB, keyB := h.device(b.AccessToken)
	if r := h.Post("/api/v1/voucher/"+vs[0]["code"].(string)+"/redeem", keyB, map[string]any{"deviceId": hostB,
		"order": map[string]any{"id": "x", "amount": 100}}).Expect(t, 200).Object(t); r["reason"] != "not_found" {
		t.Fatalf("other tenant's code: %v", r)
	}

	e := h.Post("/api/v1/campaigns", a.AccessToken, map[string]any{"name": "bad", "voucherValue": 1,
		"redemptionRules": []map[string]any{{"name": "r", "expr": "order.amout > 1", "message": "m"}}}).ExpectError(t, 422, "invalid_expression")
	if !strings.Contains(e.Message, "column") {
		t.Fatalf("no position: %s", e.Message)
	}
	h.Post("/api/v1/rules/check", a.AccessToken, map[string]any{"expr": "order.amount >= 300 ? 100 : 50", "kind": "value",
		"sample": map[string]any{"order": map[string]any{"amount": 400}}}).Expect(t, 200)
	h.Post("/api/v1/rules/check", a.AccessToken, map[string]any{"expr": "foo.bar", "kind": "redemption"}).ExpectError(t, 422, "invalid_expression")
	var st vouchers.Stats
	h.Get(fmt.Sprintf("/api/v1/campaigns/%d/stats", id), a.AccessToken).Expect(t, 200).Decode(t, &st)
	if st.Vouchers != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// TestVoucherTwoReplicas redeems one limit-10 voucher and one gift from 64
// devices spread over two routers on the same database.
func TestVoucherTwoReplicas(t *testing.T) {
	h := newVoucherHarness(t)
	tn := h.NewTenant("Acme", true)
	host, key := h.device(tn.AccessToken)
	limited := h.voucher(tn.AccessToken, map[string]any{"name": "l", "voucherValue": 50, "redemptionLimit": 10})
	gift := h.voucher(tn.AccessToken, map[string]any{"name": "g", "type": "gift", "voucherValue": 1000})
	servers := []string{h.Server.URL, h.second.URL}
	post := func(i int, code string, body map[string]any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", servers[i%2]+"/api/v1/voucher/"+code+"/redeem", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != 200 {
			t.Errorf("%d %s", resp.StatusCode, raw)
		}
		return out
	}
	var mu sync.Mutex
	redeemed, taken := 0, 0.0
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			order := map[string]any{"id": fmt.Sprint("o", i), "amount": 200}
			r1 := post(i, limited, map[string]any{"deviceId": host, "order": order})
			r2 := post(i+1, gift, map[string]any{"deviceId": host, "order": order, "demand": map[string]any{"amount": 37}})
			mu.Lock()
			defer mu.Unlock()
			if r1["redeemed"] == true {
				redeemed++
			}
			if r2["redeemed"] == true {
				taken += r2["discount"].(map[string]any)["amountOff"].(float64)
			}
		}()
	}
	wg.Wait()
	if redeemed != 10 || taken != 1000 {
		t.Fatalf("%d redeemed (want 10), %v taken from the gift (want 1000)", redeemed, taken)
	}
}
