package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// An import answers {"imported": n} and the codes are then found upper-cased;
// a file with wrong lines answers 400 naming each line and stores nothing; a
// body over the 1 MiB limit answers 413.
func TestImportVouchersRoute(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Import", true)
	camp := h.MustCreate(a.AccessToken, "/api/v1/campaigns", map[string]any{"name": "imported", "type": "discount",
		"valueType": "cents", "voucherValue": 100, "totalVouchers": 0})
	h.Vouchers.Wait()
	path := fmt.Sprintf("/api/v1/campaigns/%d/vouchers/import", camp)
	post := func(body string) *webtest.Response {
		return h.Do(webtest.Req{Method: http.MethodPost, Path: path, Token: a.AccessToken, Body: body,
			Header: http.Header{"Content-Type": {"text/csv"}}})
	}
	got := post("code,value,expiresOn\npaper-0001,300,2027-06-30\npaper-0002,,\n").Expect(t, http.StatusCreated).Object(t)
	if got["imported"] != float64(2) {
		t.Fatalf("answer %v", got)
	}
	list := h.Get(fmt.Sprintf("/api/v1/campaigns/%d/vouchers", camp), a.AccessToken).Expect(t, http.StatusOK).Objects(t)
	if len(list) != 2 || (list[0]["code"] != "PAPER-0001" && list[1]["code"] != "PAPER-0001") {
		t.Errorf("campaign vouchers %v", list)
	}

	e := post("code\nPAPER-0003\nPAPER-0001\nno\n").ExpectError(t, http.StatusBadRequest, "invalid")
	if len(e.Fields) != 2 || e.Fields["line 3"] == "" || e.Fields["line 4"] == "" {
		t.Errorf("error %+v, want lines 3 (exists) and 4 (format)", e)
	}
	if n := len(h.Get(fmt.Sprintf("/api/v1/campaigns/%d/vouchers", camp), a.AccessToken).Objects(t)); n != 2 {
		t.Errorf("%d vouchers after a refused import, want 2", n)
	}
	post("code\n"+strings.Repeat("ABCDEFGHIJ\n", 100_000)).ExpectError(t, http.StatusRequestEntityTooLarge, "too_large")
}
