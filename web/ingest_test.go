package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/web/webtest"
)

// ingestEnv is a tenant with one machine (whose model maps Code to ErrorID)
// and that machine's device key.
type ingestEnv struct {
	h         *webtest.Harness
	tn        *webtest.Tenant
	fleet     *webtest.Fleet
	machine   int64
	deviceKey string
	code      string // a raw code mapped by the machine model's error profile
	errorID   int64  // the error identity code maps to
}

func newIngestEnv(t *testing.T) *ingestEnv {
	t.Helper()
	return addIngestTenant(t, webtest.New(t), "Acme", "acme")
}

// addIngestTenant makes a tenant as newIngestEnv does, in harness h.
func addIngestTenant(t *testing.T, h *webtest.Harness, name, tag string) *ingestEnv {
	t.Helper()
	tn := h.NewTenant(name, true)
	f := h.MakeFleet(tn.AccessToken, tag)
	e := &ingestEnv{h: h, tn: tn, fleet: f, machine: f.IDs["machines"], errorID: f.IDs["erroridentities"]}
	var key struct{ APIKey string }
	h.Post(fmt.Sprintf("/api/v1/machines/%d/apikey", e.machine), tn.AccessToken, nil).
		Expect(t, http.StatusCreated).Decode(t, &key)
	e.deviceKey = key.APIKey
	var ec struct{ Code string }
	h.Get(fmt.Sprintf("/api/v1/errorcodes/%d", f.IDs["errorcodes"]), tn.AccessToken).
		Expect(t, http.StatusOK).Decode(t, &ec)
	e.code = ec.Code
	return e
}

var t0 = time.Date(2024, 3, 12, 5, 0, 0, 0, time.UTC)

// event is an event body with remote r at t0 + minutes.
func event(r int64, code string, minutes int) map[string]any {
	return map[string]any{"remote": r, "code": code,
		"occurredAt": t0.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)}
}

func events(from, to int64) []map[string]any {
	var out []map[string]any
	for r := from; r <= to; r++ {
		out = append(out, event(r, "CM_REBOOT", int(r)))
	}
	return out
}

type ingestResult struct {
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
}

func (e *ingestEnv) post(t *testing.T, path, token string, body any) ingestResult {
	t.Helper()
	var res ingestResult
	e.h.Post(path, token, body).Expect(t, http.StatusOK).Decode(t, &res)
	return res
}

func (e *ingestEnv) count(t *testing.T, path string) string {
	t.Helper()
	return e.h.Get(path, e.tn.AccessToken).Expect(t, http.StatusOK).Header.Get("X-Total-Count")
}

func TestIngestBatchIsValidatedWhole(t *testing.T) {
	e := newIngestEnv(t)
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"missing occurredAt", []any{event(1, "A", 0), map[string]any{"remote": 2, "code": "A"}, event(3, "A", 0)}, "[1].occurredAt"},
		{"bad occurredAt", []any{event(1, "A", 0), event(2, "A", 0), event(3, "A", 0),
			map[string]any{"remote": 4, "code": "A", "occurredAt": "yesterday"}}, "[3].occurredAt"},
		{"missing remote", []any{map[string]any{"code": "A", "occurredAt": "2024-03-12T05:00:00Z"}}, "[0].remote"},
		{"missing code", []any{event(1, "A", 0), map[string]any{"remote": 2, "occurredAt": "2024-03-12T05:00:00Z"}}, "[1].code"},
		{"unknown field", []any{event(1, "A", 0), map[string]any{"remote": 2, "bogus": 1}}, "[1].bogus"},
		{"wrong type", []any{map[string]any{"remote": "x"}}, "[0].remote"},
		{"single object", map[string]any{"remote": 1, "code": "A"}, "[0].occurredAt"},
		{"unknown machine", []any{event(1, "A", 0)}, "[0].machine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := e.deviceKey
			if tt.name == "unknown machine" {
				token = e.tn.AccessToken // a manager must name the machine
			}
			body := e.h.Post("/api/v1/logs", token, tt.body).ExpectError(t, http.StatusBadRequest, "invalid")
			if _, ok := body.Fields[tt.field]; !ok || !strings.HasPrefix(body.Message, tt.field) {
				t.Errorf("error %+v does not name %s", body, tt.field)
			}
		})
	}
	if n := e.count(t, "/api/v1/logs"); n != "0" {
		t.Errorf("%s logs stored after invalid batches, want 0", n)
	}
	e.h.Post("/api/v1/logs", e.deviceKey, []any{}).ExpectError(t, http.StatusBadRequest, "invalid")
	e.h.Post("/api/v1/logs", e.deviceKey, events(1, 1001)).ExpectError(t, http.StatusBadRequest, "invalid")
	bad := []any{map[string]any{"remote": 1, "occurredAt": "2024-03-12T05:00:00Z",
		"payments": []any{map[string]any{"method": "cash"}, map[string]any{"method": "iou"}}}}
	body := e.h.Post("/api/v1/revenuetransactions", e.deviceKey, bad).ExpectError(t, http.StatusBadRequest, "invalid")
	if _, ok := body.Fields["[0].payments[1].method"]; !ok {
		t.Errorf("error %+v does not name [0].payments[1].method", body)
	}
}

func TestIngestDeviceBinding(t *testing.T) {
	e := newIngestEnv(t)
	other := e.h.MustCreate(e.tn.AccessToken, "/api/v1/machines", map[string]any{"name": "other",
		"hostname": e.h.Unique("other-host"), "location": e.fleet.IDs["locations"]})

	if res := e.post(t, "/api/v1/logs", e.deviceKey, event(1, "A", 0)); res.Stored != 1 {
		t.Errorf("device posting for itself: %+v", res)
	}
	own := event(2, "A", 0)
	own["machine"] = e.machine
	e.post(t, "/api/v1/logs", e.deviceKey, own)
	foreign := event(3, "A", 0)
	foreign["machine"] = other
	e.h.Post("/api/v1/logs", e.deviceKey, []any{event(4, "A", 0), foreign}).
		ExpectError(t, http.StatusForbidden, "forbidden")
	tx := map[string]any{"remote": 1, "machine": other, "occurredAt": "2024-03-12T05:00:00Z"}
	e.h.Post("/api/v1/revenuetransactions", e.deviceKey, tx).ExpectError(t, http.StatusForbidden, "forbidden")

	// Managers must name one of their machines.
	e.h.Post("/api/v1/logs", e.tn.AccessToken, event(5, "A", 0)).ExpectError(t, http.StatusBadRequest, "invalid")
	e.post(t, "/api/v1/logs", e.tn.AccessToken, foreign)
	bTenant := e.h.NewTenant("Bravo", true)
	bFleet := e.h.MakeFleet(bTenant.AccessToken, "bravo")
	theirs := event(6, "A", 0)
	theirs["machine"] = bFleet.IDs["machines"]
	body := e.h.Post("/api/v1/logs", e.tn.AccessToken, theirs).ExpectError(t, http.StatusBadRequest, "invalid")
	if _, ok := body.Fields["[0].machine"]; !ok {
		t.Errorf("error %+v does not name [0].machine", body)
	}

	// Device keys may ingest but not manage.
	e.h.Get("/api/v1/alertobservers", e.deviceKey).ExpectError(t, http.StatusForbidden, "forbidden")
	e.h.Post("/api/v1/alertobservers", e.deviceKey, map[string]any{}).ExpectError(t, http.StatusForbidden, "forbidden")
	e.h.Get("/api/v1/logs", e.deviceKey).ExpectError(t, http.StatusForbidden, "forbidden")
	if n := e.count(t, "/api/v1/logs?where[machine][eq]="+fmt.Sprint(e.machine)); n != "2" {
		t.Errorf("machine has %s logs, want 2", n)
	}
}

func TestIngestIsIdempotent(t *testing.T) {
	e := newIngestEnv(t)
	if res := e.post(t, "/api/v1/logs", e.deviceKey, events(1, 4)); res != (ingestResult{4, 0}) {
		t.Errorf("first upload: %+v", res)
	}
	if res := e.post(t, "/api/v1/logs", e.deviceKey, events(1, 4)); res != (ingestResult{0, 4}) {
		t.Errorf("same batch again: %+v", res)
	}
	if res := e.post(t, "/api/v1/logs", e.deviceKey, events(3, 6)); res != (ingestResult{2, 2}) {
		t.Errorf("half-new batch: %+v", res)
	}
	if res := e.post(t, "/api/v1/logs", e.deviceKey, []any{event(7, "A", 0), event(7, "A", 0)}); res != (ingestResult{1, 1}) {
		t.Errorf("duplicate inside a batch: %+v", res)
	}
	if n := e.count(t, "/api/v1/logs"); n != "7" {
		t.Errorf("%s logs stored, want 7", n)
	}

	sale := func(r int) map[string]any {
		return map[string]any{"remote": r, "occurredAt": "2024-03-12T05:00:00Z", "price": 150,
			"payments": []any{map[string]any{"method": "card", "price": 150}}}
	}
	e.post(t, "/api/v1/revenuetransactions", e.deviceKey, []any{sale(1), sale(2)})
	if res := e.post(t, "/api/v1/revenuetransactions", e.deviceKey, []any{sale(2), sale(3)}); res != (ingestResult{1, 1}) {
		t.Errorf("half-new sales: %+v", res)
	}
	if n := e.count(t, "/api/v1/paymenttransactions"); n != "3" {
		t.Errorf("%s payments stored, want 3 (none for duplicate sales)", n)
	}
}

func TestIngestMapsErrorCodesAndFillsFromMachine(t *testing.T) {
	e := newIngestEnv(t)
	e.post(t, "/api/v1/logs", e.deviceKey, []any{event(1, e.code, 0), event(2, "UNMAPPED", 1)})
	logs := e.h.Get("/api/v1/logs?sort=remote", e.tn.AccessToken).Expect(t, http.StatusOK).Objects(t)
	if len(logs) != 2 {
		t.Fatalf("got %d logs", len(logs))
	}
	if got := logs[0]["errorIdentity"]; got != float64(e.errorID) {
		t.Errorf("mapped code: errorIdentity %v, want %d", got, e.errorID)
	}
	if got := logs[1]["errorIdentity"]; got != nil {
		t.Errorf("unmapped code: errorIdentity %v, want null", got)
	}
	l := logs[0]
	if l["location"] != float64(e.fleet.IDs["locations"]) || l["timeZone"] != "Europe/Amsterdam" ||
		l["userGroup"] != float64(e.tn.GroupID) || l["machine"] != float64(e.machine) {
		t.Errorf("fields from the machine: %v", l)
	}
	if n := e.count(t, fmt.Sprintf("/api/v1/logs?where[errorIdentity][eq]=%d", e.errorID)); n != "1" {
		t.Errorf("filter on errorIdentity: %s", n)
	}
}

func TestIngestPaymentsInline(t *testing.T) {
	e := newIngestEnv(t)
	sale := map[string]any{"remote": 40314354, "name": "Kaffee klein", "occurredAt": "2019-02-06T07:06:17+01:00",
		"price": 250, "payments": []any{
			map[string]any{"method": "cash", "price": 200},
			map[string]any{"method": "virtual", "price": 50, "currency": "usd"},
		}}
	e.post(t, "/api/v1/revenuetransactions", e.deviceKey, sale)
	txs := e.h.Get("/api/v1/revenuetransactions", e.tn.AccessToken).Expect(t, http.StatusOK).Objects(t)
	if len(txs) != 1 || txs[0]["numPaymentTransactions"] != float64(2) || txs[0]["currency"] != "EUR" {
		t.Fatalf("transactions: %v", txs)
	}
	id := int64(txs[0]["id"].(float64))
	e.h.Get(fmt.Sprintf("/api/v1/revenuetransactions/%d", id), e.tn.AccessToken).Expect(t, http.StatusOK)
	pays := e.h.Get(fmt.Sprintf("/api/v1/paymenttransactions?where[revenuetransaction][eq]=%d&sort=price", id),
		e.tn.AccessToken).Expect(t, http.StatusOK).Objects(t)
	if len(pays) != 2 {
		t.Fatalf("payments: %v", pays)
	}
	if pays[0]["method"] != "virtual" || pays[0]["currency"] != "USD" || pays[0]["type"] != "virtual" ||
		pays[1]["method"] != "cash" || pays[1]["currency"] != "EUR" || pays[1]["machine"] != float64(e.machine) {
		t.Errorf("payments: %v", pays)
	}
	if n := e.count(t, "/api/v1/paymenttransactions?where[method][eq]=cash"); n != "1" {
		t.Errorf("filter on method: %s", n)
	}
}

func TestIngestResolvedAtResolvesEarlierOccurrences(t *testing.T) {
	e := newIngestEnv(t)
	resolving := event(3, "ED017", 30)
	resolvedAt := t0.Add(31 * time.Minute).Format(time.RFC3339)
	resolving["resolvedAt"] = resolvedAt
	e.post(t, "/api/v1/logs", e.deviceKey, []any{
		event(1, "ED017", 10), event(2, "ED017", 20), event(9, "OTHER", 5), resolving, event(4, "ED017", 40),
	})
	// Arriving late: it occurred before the resolution, so it is resolved too.
	e.post(t, "/api/v1/logs", e.deviceKey, event(5, "ED017", 25))

	byRemote := map[float64]map[string]any{}
	for _, l := range e.h.Get("/api/v1/logs", e.tn.AccessToken).Expect(t, http.StatusOK).Objects(t) {
		byRemote[l["remote"].(float64)] = l
	}
	resolver := byRemote[3]["id"]
	for _, r := range []float64{1, 2, 5} {
		if byRemote[r]["resolvedAt"] == nil || byRemote[r]["resolvedBy"] != resolver {
			t.Errorf("event %v: resolvedAt %v by %v, want resolved by %v", r, byRemote[r]["resolvedAt"],
				byRemote[r]["resolvedBy"], resolver)
		}
	}
	for _, r := range []float64{4, 9} {
		if byRemote[r]["resolvedAt"] != nil {
			t.Errorf("event %v should stay open: %v", r, byRemote[r])
		}
	}
	if byRemote[3]["resolvedAt"] == nil || byRemote[3]["resolvedBy"] != nil {
		t.Errorf("the resolving event: %v", byRemote[3])
	}
	if n := e.count(t, "/api/v1/logs?where[resolvedAt][null]=true"); n != "2" {
		t.Errorf("%s open events, want 2", n)
	}
}

func TestIngestListsAndExport(t *testing.T) {
	e := newIngestEnv(t)
	e.post(t, "/api/v1/logs", e.deviceKey, []any{event(1, "A", 1), event(2, "B", 2), event(3, "A", 3)})
	logs := e.h.Get("/api/v1/logs?where[code][eq]=A&sort=occurredAt%20desc", e.tn.AccessToken).
		Expect(t, http.StatusOK)
	if got := logs.Objects(t); len(got) != 2 || got[0]["remote"] != float64(3) || logs.Header.Get("X-Total-Count") != "2" {
		t.Errorf("filtered list: %v", got)
	}
	e.h.Get("/api/v1/logs?where[extraData][eq]=x", e.tn.AccessToken).ExpectError(t, http.StatusBadRequest, "invalid")
	csv := e.h.Get("/api/v1/logs/export?columns[]=remote&columns[]=code&sort=remote", e.tn.AccessToken).
		Expect(t, http.StatusOK)
	if want := "remote,code\n1,A\n2,B\n3,A\n"; string(csv.Body) != want {
		t.Errorf("export = %q, want %q", csv.Body, want)
	}
	e.post(t, "/api/v1/revenuetransactions", e.deviceKey, map[string]any{"remote": 1, "price": 120,
		"occurredAt": "2024-03-12T05:00:00Z"})
	csv = e.h.Get("/api/v1/revenuetransactions/export?columns[]=remote&columns[]=price", e.tn.AccessToken).
		Expect(t, http.StatusOK)
	if want := "remote,price\n1,120\n"; string(csv.Body) != want {
		t.Errorf("export = %q, want %q", csv.Body, want)
	}
}

func TestIngestTenantIsolation(t *testing.T) {
	e := newIngestEnv(t)
	e.post(t, "/api/v1/logs", e.deviceKey, event(1, "A", 0))
	e.post(t, "/api/v1/revenuetransactions", e.deviceKey, map[string]any{"remote": 1,
		"occurredAt": "2024-03-12T05:00:00Z", "payments": []any{map[string]any{"method": "cash"}}})
	obs := e.h.MustCreate(e.tn.AccessToken, "/api/v1/alertobservers", validObserver())
	logID := e.h.Get("/api/v1/logs", e.tn.AccessToken).Objects(t)[0]["id"]
	txID := e.h.Get("/api/v1/revenuetransactions", e.tn.AccessToken).Objects(t)[0]["id"]
	payID := e.h.Get("/api/v1/paymenttransactions", e.tn.AccessToken).Objects(t)[0]["id"]

	b := e.h.NewTenant("Bravo", true)
	for _, p := range []string{
		fmt.Sprintf("/api/v1/logs/%v", logID), fmt.Sprintf("/api/v1/revenuetransactions/%v", txID),
		fmt.Sprintf("/api/v1/paymenttransactions/%v", payID), fmt.Sprintf("/api/v1/alertobservers/%d", obs),
	} {
		e.h.Get(p, b.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	}
	e.h.Put(fmt.Sprintf("/api/v1/alertobservers/%d", obs), b.AccessToken, validObserver()).
		ExpectError(t, http.StatusNotFound, "not_found")
	e.h.Delete(fmt.Sprintf("/api/v1/alertobservers/%d", obs), b.AccessToken).
		ExpectError(t, http.StatusNotFound, "not_found")
	for _, p := range []string{"/api/v1/logs", "/api/v1/revenuetransactions", "/api/v1/paymenttransactions",
		"/api/v1/alertobservers"} {
		if n := e.h.Get(p, b.AccessToken).Expect(t, http.StatusOK).Header.Get("X-Total-Count"); n != "0" {
			t.Errorf("%s: tenant B sees %s rows", p, n)
		}
		if body := e.h.Get(p+"/export", b.AccessToken).Expect(t, http.StatusOK).Body; strings.Count(string(body), "\n") != 1 {
			t.Errorf("%s/export: tenant B sees %q", p, body)
		}
	}
}
