package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// dashboardEnv is a tenant whose machine (in Europe/Amsterdam) reported
// around the local midnights of 12 and 13 March 2024, and a second tenant
// with items of its own on the same days.
type dashboardEnv struct {
	*ingestEnv
	other *ingestEnv
}

func newDashboardEnv(t *testing.T) *dashboardEnv {
	t.Helper()
	e := &dashboardEnv{ingestEnv: newIngestEnv(t)}
	e.other = addIngestTenant(t, e.h, "Other", "other")
	at := func(r int64, code, utc string) map[string]any {
		return map[string]any{"remote": r, "code": code, "occurredAt": utc}
	}
	e.post(t, "/api/v1/logs", e.deviceKey, []map[string]any{
		at(1, e.code, "2024-03-11T23:30:00Z"),       // 00:30 on the 12th in Amsterdam
		at(2, e.code, "2024-03-12T10:00:00Z"),       //
		at(3, e.code, "2024-03-12T10:05:00Z"),       //
		at(4, "CM_REBOOT", "2024-03-12T22:59:59Z"),  // 23:59:59 on the 12th
		at(5, "CM_REBOOT", "2024-03-12T23:00:00Z"),  // midnight: the 13th
		at(6, "CM_REBOOT", "2024-03-11T22:59:59Z")}) // the 11th
	sale := func(r int64, utc string, price int, currency string) map[string]any {
		return map[string]any{"remote": r, "occurredAt": utc, "price": price, "currency": currency}
	}
	e.post(t, "/api/v1/revenuetransactions", e.deviceKey, []map[string]any{
		sale(1, "2024-03-11T23:30:00Z", 250, "EUR"),
		sale(2, "2024-03-12T12:00:00Z", 100, "EUR"),
		sale(3, "2024-03-12T12:00:00Z", 300, "USD"),
		sale(4, "2024-03-12T23:00:00Z", 50, "EUR"),
		sale(5, "2024-03-11T22:00:00Z", 999, "EUR")}) // the 11th
	e.post(t, "/api/v1/logs", e.other.deviceKey, []map[string]any{at(1, "CM_REBOOT", "2024-03-12T10:00:00Z")})
	e.post(t, "/api/v1/revenuetransactions", e.other.deviceKey, []map[string]any{sale(1, "2024-03-12T12:00:00Z", 7, "EUR")})
	return e
}

// getJSON answers the compact JSON of a manager's GET.
func (e *ingestEnv) getJSON(t *testing.T, path string) string {
	t.Helper()
	var v any
	e.h.Get(path, e.tn.AccessToken).Expect(t, http.StatusOK).Decode(t, &v)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEventSummaryCountsLocalDaysOfTheTenant(t *testing.T) {
	e := newDashboardEnv(t)
	var jam string
	e.h.DB.Raw("SELECT error FROM error_identities WHERE id = ?", e.errorID).Scan(&jam)
	day12 := fmt.Sprintf(`[{"code":%q,"error":%q,"errorIdentity":%d,"summary":3},`+
		`{"code":"CM_REBOOT","error":"CM_REBOOT","errorIdentity":null,"summary":1}]`, e.code, jam, e.errorID)
	tests := []struct{ name, query, want string }{
		{"one local day", "startDate=2024-03-12&endDate=2024-03-12", day12},
		{"its machine", fmt.Sprintf("startDate=2024-03-12&endDate=2024-03-12&machines[]=%d", e.machine), day12},
		{"its location", fmt.Sprintf("startDate=2024-03-12&endDate=2024-03-12&locations=%d", e.fleet.IDs["locations"]), day12},
		{"limit", "startDate=2024-03-12&endDate=2024-03-12&limit=1", day12[:len(day12)-len(`,{"code":"CM_REBOOT","error":"CM_REBOOT","errorIdentity":null,"summary":1}]`)] + "]"},
		{"three days, a tie by code", "startDate=2024-03-11&endDate=2024-03-13",
			fmt.Sprintf(`[{"code":"CM_REBOOT","error":"CM_REBOOT","errorIdentity":null,"summary":3},`+
				`{"code":%q,"error":%q,"errorIdentity":%d,"summary":3}]`, e.code, jam, e.errorID)},
		{"another tenant's machine", fmt.Sprintf("startDate=2024-03-12&endDate=2024-03-12&machines[]=%d", e.other.machine), "[]"},
		{"no items", "startDate=2023-03-12&endDate=2023-03-12", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.getJSON(t, "/api/v1/logs/summary?"+tt.query); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if got := e.other.getJSON(t, "/api/v1/logs/summary?startDate=2024-03-12&endDate=2024-03-12"); got !=
		`[{"code":"CM_REBOOT","error":"CM_REBOOT","errorIdentity":null,"summary":1}]` {
		t.Errorf("the other tenant sees %s", got)
	}
}

func TestRevenueSummaryPerCurrencyAndLocalDay(t *testing.T) {
	e := newDashboardEnv(t)
	day := func(currency, date string, value, count int) string {
		return fmt.Sprintf(`{"count":%d,"currency":%q,"currencyRate":1,"date":%q,"orginalValue":%d,"value":%d}`,
			count, currency, date, value, value)
	}
	want := `{"EUR":[` + day("EUR", "2024-03-12", 350, 2) + "," + day("EUR", "2024-03-13", 50, 1) + `],` +
		`"USD":[` + day("USD", "2024-03-12", 300, 1) + `]}`
	if got := e.getJSON(t, "/api/v1/revenuetransactions/summary?startDate=2024-03-12&endDate=2024-03-13"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	want = `{"EUR":[` + day("EUR", "2024-03-12", 7, 1) + `]}`
	if got := e.other.getJSON(t, "/api/v1/revenuetransactions/summary?startDate=2024-03-12&endDate=2024-03-13"); got != want {
		t.Errorf("the other tenant: got %s\nwant %s", got, want)
	}
}

func TestSummaryParametersAreValidated(t *testing.T) {
	e := newIngestEnv(t)
	tests := []struct{ name, path, field string }{
		{"end before start", "/api/v1/logs/summary?startDate=2024-03-12&endDate=2024-03-11", "endDate"},
		{"over 366 days", "/api/v1/revenuetransactions/summary?startDate=2024-01-01&endDate=2025-01-01", "endDate"},
		{"not a date", "/api/v1/revenuetransactions/summary?startDate=2024-03-12T00:00:00Z&endDate=2024-03-13", "startDate"},
		{"one date", "/api/v1/logs/summary?startDate=2024-03-12", "endDate"},
		{"unknown parameter", "/api/v1/logs/summary?from=2024-03-12", "from"},
		{"limit over 30", "/api/v1/logs/summary?limit=31", "limit"},
		{"limit on revenue", "/api/v1/revenuetransactions/summary?limit=5", "limit"},
		{"bad id", "/api/v1/logs/summary?machines[]=abc", "machines"},
		{"id not positive", "/api/v1/revenuetransactions/summary?locations=0", "locations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := e.h.Get(tt.path, e.tn.AccessToken).ExpectError(t, http.StatusBadRequest, "invalid")
			if body.Fields[tt.field] == "" {
				t.Errorf("fields %v do not name %s", body.Fields, tt.field)
			}
		})
	}
	e.h.Get("/api/v1/logs/summary?startDate=2024-01-01&endDate=2024-12-31", e.tn.AccessToken).Expect(t, http.StatusOK)
	e.h.Get("/api/v1/logs/summary", e.tn.AccessToken).Expect(t, http.StatusOK) // the last 30 days
	e.h.Get("/api/v1/logs/summary", e.deviceKey).ExpectError(t, http.StatusForbidden, "forbidden")
}

// TestMachineShowsItsLastItems: GET /machines/{id} answers the newest event
// and sale by occurredAt, and an update of the machine does not touch them.
func TestMachineShowsItsLastItems(t *testing.T) {
	e := newDashboardEnv(t)
	var lastLog, lastSale int64
	e.h.DB.Raw("SELECT id FROM logs WHERE machine = ? AND remote = 5", e.machine).Scan(&lastLog)
	e.h.DB.Raw("SELECT id FROM revenue_transactions WHERE machine = ? AND remote = 4", e.machine).Scan(&lastSale)
	want := fmt.Sprintf(`%d 2024-03-12T23:00:00Z %d 2024-03-12T23:00:00Z`, lastLog, lastSale)
	path := fmt.Sprintf("/api/v1/machines/%d", e.machine)
	show := func() string {
		var m struct {
			LastLog                  int64
			LastLogAt                string
			LastRevenuetransaction   int64
			LastRevenuetransactionAt string
		}
		e.h.Get(path, e.tn.AccessToken).Expect(t, http.StatusOK).Decode(t, &m)
		return fmt.Sprintf("%d %s %d %s", m.LastLog, m.LastLogAt, m.LastRevenuetransaction, m.LastRevenuetransactionAt)
	}
	if got := show(); got != want {
		t.Errorf("machine: %s, want %s", got, want)
	}
	e.h.Put(path, e.tn.AccessToken, map[string]any{"name": "renamed", "lastLog": 1}).Expect(t, http.StatusOK)
	if got := show(); got != want {
		t.Errorf("after an update: %s, want %s", got, want)
	}
}
