package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// The check answers the odds of a pattern, or the 400 a campaign with it
// would get; a campaign keeps its pattern, shows it, and generates by it.
func TestCodePatternRoutes(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Pattern", true)
	odds := h.Post("/api/v1/campaigns/codepattern/check", a.AccessToken, map[string]any{"prefix": "SUM",
		"suffix": "26", "codeLength": 13, "codeAlphabet": "digits", "totalVouchers": 1000}).Expect(t, http.StatusOK).Object(t)
	example, _ := odds["example"].(string)
	if odds["bits"] != 43.2 || odds["possibleCodes"] != 1e13 || len(example) != len("SUM--26")+13 {
		t.Errorf("odds %v", odds)
	}
	e := h.Post("/api/v1/campaigns/codepattern/check", a.AccessToken, map[string]any{"codeLength": 12,
		"codeAlphabet": "digits"}).ExpectError(t, http.StatusBadRequest, "invalid")
	if !strings.Contains(e.Fields["codeLength"], "40 bits") {
		t.Errorf("12 digits: %+v", e)
	}

	body := map[string]any{"name": "digits", "type": "discount", "valueType": "cents", "voucherValue": 100,
		"totalVouchers": 3, "codeLength": 8, "codeAlphabet": "letters"}
	h.Post("/api/v1/campaigns", a.AccessToken, body).ExpectError(t, http.StatusBadRequest, "invalid")
	body["codeLength"] = 10
	id := h.MustCreate(a.AccessToken, "/api/v1/campaigns", body)
	h.Vouchers.Wait()
	camp := h.Get(fmt.Sprintf("/api/v1/campaigns/%d", id), a.AccessToken).Expect(t, http.StatusOK).Object(t)
	if camp["codeLength"] != float64(10) || camp["codeAlphabet"] != "letters" {
		t.Errorf("campaign %v", camp)
	}
	h.Put(fmt.Sprintf("/api/v1/campaigns/%d", id), a.AccessToken, camp).Expect(t, http.StatusOK)
	h.Put(fmt.Sprintf("/api/v1/campaigns/%d", id), a.AccessToken, map[string]any{"codeLength": 11}).
		ExpectError(t, http.StatusBadRequest, "invalid")
	for _, v := range h.Get(fmt.Sprintf("/api/v1/campaigns/%d/vouchers", id), a.AccessToken).Expect(t, http.StatusOK).Objects(t) {
		if code, _ := v["code"].(string); len(code) != 10 || strings.ContainsAny(code, "0123456789ILO") {
			t.Errorf("code %q is not 10 unambiguous letters", code)
		}
	}
}
