package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// Issue 9, finding 1: the hot path shares statements between tenants, so
// one tenant's request that PostgreSQL cannot store must never fail
// another's. Twelve honest devices of tenant A validate and redeem while a
// device of tenant B sends every kind of bad input; every one of A's
// requests must succeed, and every one of B's must be a 400.
func TestHostileTenantCannotFailOthers(t *testing.T) {
	h := newVoucherHarness(t)
	a := h.NewTenant("Honest", true)
	b := h.NewTenant("Hostile", true)
	const devices, rounds = 12, 15
	type honest struct{ host, key, code string }
	hs := make([]honest, devices)
	for i := range hs {
		hs[i].host, hs[i].key = h.device(a.AccessToken)
		hs[i].code = h.voucher(a.AccessToken, map[string]any{"name": h.Unique("c"), "type": "discount",
			"voucherValue": 50, "redemptionLimit": 0})
	}
	bHost, bKey := h.device(b.AccessToken)
	bCode := h.voucher(b.AccessToken, map[string]any{"name": "b", "type": "gift", "voucherValue": 1000})

	attacks := hostileRequests(bHost, bCode)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var hostileBad atomic.Int64
	var hostileSent atomic.Int64
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			at := attacks[i%len(attacks)]
			r, err := h.TryDo(webtest.Req{Method: "POST", Path: at.path, Token: bKey, Body: at.body})
			hostileSent.Add(1)
			if err != nil || r.Status != http.StatusBadRequest || strings.Contains(string(r.Body), "UTF8") {
				hostileBad.Add(1)
				t.Errorf("attack %s: %v %v", at.name, err, r)
			}
		}
	})
	var failed atomic.Int64
	var honestWG sync.WaitGroup
	for _, d := range hs {
		honestWG.Go(func() {
			for i := range rounds {
				base := "/api/v1/voucher/" + d.code
				order := map[string]any{"id": fmt.Sprintf("o-%d", i), "amount": 200}
				v, err := h.TryDo(webtest.Req{Method: "POST", Path: base + "/validate", Token: d.key,
					Body: map[string]any{"deviceId": d.host, "order": order}})
				if err != nil || v.Status != 200 || !strings.Contains(string(v.Body), `"valid":true`) {
					failed.Add(1)
					t.Errorf("honest validate: %v %v", err, v)
				}
				r, err := h.TryDo(webtest.Req{Method: "POST", Path: base + "/redeem", Token: d.key,
					Body: map[string]any{"deviceId": d.host, "order": order}})
				if err != nil || r.Status != 200 || !strings.Contains(string(r.Body), `"redeemed":true`) {
					failed.Add(1)
					t.Errorf("honest redeem: %v %v", err, r)
				}
			}
		})
	}
	honestWG.Wait()
	stop.Store(true)
	wg.Wait()
	if failed.Load() != 0 || hostileBad.Load() != 0 {
		t.Fatalf("%d honest requests failed; %d of %d attacks not answered 400", failed.Load(), hostileBad.Load(),
			hostileSent.Load())
	}
	// nothing of B's was stored, and A's counters are exact
	var redeemed int64
	err := h.DB.Raw(`SELECT coalesce(sum(redemption_count), 0) FROM vouchers WHERE user_group = ?`, a.GroupID).
		Scan(&redeemed).Error
	if err != nil {
		t.Fatal(err)
	}
	if redeemed != devices*rounds {
		t.Fatalf("tenant A redeemed %d times, want %d", redeemed, devices*rounds)
	}
}

type attack struct {
	name string
	path string
	body any
}

// hostileRequests are requests a device may send that PostgreSQL cannot
// store or compute.
func hostileRequests(host, code string) []attack {
	base := "/api/v1/voucher/" + code
	order := func(o map[string]any) map[string]any {
		return map[string]any{"deviceId": host, "order": o}
	}
	return []attack{
		{"invalid UTF-8 in the code", "/api/v1/voucher/ATK-%FF/validate", map[string]any{"deviceId": host}},
		{"NUL in the code", "/api/v1/voucher/ATK-%00/redeem", order(map[string]any{"id": "x", "amount": 5})},
		{"NUL in the order id", base + "/redeem", order(map[string]any{"id": "a\u0000b", "amount": 5})},
		{"NUL in the device id", base + "/validate", map[string]any{"deviceId": "x\u0000y"}},
		{"NUL in a product id", base + "/validate", order(map[string]any{"id": "p",
			"items": []any{map[string]any{"productId": "\u0000", "quantity": 1, "price": 5}}})},
		{"overflowing items", base + "/redeem", order(map[string]any{"id": "big", "items": []any{
			map[string]any{"quantity": 2, "price": json.Number("4611686018427387904")},
			map[string]any{"quantity": 1, "price": json.Number("9223372036854774908")}}})},
		{"price past the maximum", base + "/validate", order(map[string]any{"id": "p",
			"items": []any{map[string]any{"quantity": 1, "price": json.Number("1000000000000000")}}})},
		{"amount past the maximum", base + "/redeem", order(map[string]any{"id": "m", "amount": json.Number("1000000000000000")})},
		{"invalid UTF-8 in the body", base + "/redeem", []byte("{\"deviceId\":\"" + host + "\",\"order\":{\"id\":\"\xff\",\"amount\":5}}")},
		{"long order id", base + "/redeem", order(map[string]any{"id": strings.Repeat("x", 10000), "amount": 5})},
	}
}
