package web_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestVoucherWorthNothingIsRefused(t *testing.T) {
	h := newVoucherHarness(t)
	tn := h.NewTenant("Acme", true)
	host, key := h.device(tn.AccessToken)
	empty := h.MustCreate(tn.AccessToken, "/api/v1/campaigns", map[string]any{"name": "empty", "type": "discount"})
	h.Post("/api/v1/vouchers", tn.AccessToken, map[string]any{"campaign": empty}).
		ExpectError(t, http.StatusBadRequest, "invalid")
	code := h.voucher(tn.AccessToken, map[string]any{"name": "dyn", "type": "dynamic", "valueExpr": "0"})
	redeem := map[string]any{"deviceId": host, "order": map[string]any{"id": "o-1", "amount": 180}}
	r := h.Post("/api/v1/voucher/"+code+"/redeem", key, redeem).Expect(t, http.StatusOK).Object(t)
	if r["redeemed"] != false || r["reason"] != "zero_amount" {
		t.Fatalf("redeem of 0 cents: %v", r)
	}
}

func TestCreateVouchersWithCountAnswersCodes(t *testing.T) {
	h := newVoucherHarness(t)
	tn := h.NewTenant("Acme", true)
	id := h.MustCreate(tn.AccessToken, "/api/v1/campaigns", map[string]any{"name": "c", "voucherValue": 100})
	var out struct{ Codes []string }
	h.Post("/api/v1/vouchers", tn.AccessToken, map[string]any{"campaign": id, "count": 3}).
		Expect(t, http.StatusCreated).Decode(t, &out)
	if len(out.Codes) != 3 {
		t.Fatalf("codes: %v", out.Codes)
	}
	h.Get("/api/v1/vouchers?where[code][eq]="+out.Codes[0], tn.AccessToken).Expect(t, http.StatusOK)
}

func TestVoucherNotYetValid(t *testing.T) {
	h := newVoucherHarness(t)
	tn := h.NewTenant("Acme", true)
	host, key := h.device(tn.AccessToken)
	h.Post("/api/v1/campaigns", tn.AccessToken, map[string]any{"name": "bad", "voucherValue": 100,
		"validFrom": "2100-01-02", "expiresOn": "2100-01-01"}).ExpectError(t, http.StatusBadRequest, "invalid")
	code := h.voucher(tn.AccessToken, map[string]any{"name": "later", "voucherValue": 100, "validFrom": "2100-01-01"})
	redeem := map[string]any{"deviceId": host, "order": map[string]any{"id": "o-1", "amount": 180}}
	r := h.Post("/api/v1/voucher/"+code+"/redeem", key, redeem).Expect(t, http.StatusOK).Object(t)
	if r["redeemed"] != false || r["reason"] != "not_yet_valid" {
		t.Fatalf("redeem before validFrom: %v", r)
	}
}

func TestVoucherCodeInLowerCase(t *testing.T) {
	h := newVoucherHarness(t)
	tn := h.NewTenant("Acme", true)
	host, key := h.device(tn.AccessToken)
	code := h.voucher(tn.AccessToken, map[string]any{"name": "gift", "type": "gift", "voucherValue": 500})
	base := "/api/v1/voucher/" + strings.ToLower(code)
	if r := h.Post(base+"/validate", key, map[string]any{"deviceId": host}).Expect(t, http.StatusOK).Object(t); r["valid"] != true {
		t.Fatalf("lower-case validate: %v", r)
	}
	redeem := map[string]any{"deviceId": host, "order": map[string]any{"id": "o-1", "amount": 180}}
	if r := h.Post(base+"/redeem", key, redeem).Expect(t, http.StatusOK).Object(t); r["redeemed"] != true || r["code"] != code {
		t.Fatalf("lower-case redeem: %v", r)
	}
	rb := map[string]any{"deviceId": host, "order": map[string]any{"id": "o-1"}}
	if r := h.Post(base+"/rollback", key, rb).Expect(t, http.StatusOK).Object(t); r["rolledBack"] != true {
		t.Fatalf("lower-case rollback: %v", r)
	}
}
