package web_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
)

func validObserver() map[string]any {
	return map[string]any{"name": "jams", "type": "event", "observer": "occurrence", "timer": 10,
		"timerType": 1, "occurs": 3, "machines": []int64{}, "openingHours": true}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestObserverValidation(t *testing.T) {
	e := newIngestEnv(t)
	other := e.h.NewTenant("Bravo", true)
	bFleet := e.h.MakeFleet(other.AccessToken, "bravo")
	v := validObserver()
	group := e.h.MustCreate(e.tn.AccessToken, "/api/v1/alertgroups", map[string]any{"name": "Night shift"})
	tests := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"valid", v, http.StatusCreated, ""},
		{"all extensions", with(v, "condition", `event.code == "ED017" && location.city == "Amsterdam"`,
			"repeatEvery", 60, "notifyResolved", true, "alertGroup", group, "error", e.errorID,
			"machines", []int64{e.machine}), http.StatusCreated, ""},
		{"non_resolution with error", with(v, "observer", "non_resolution", "error", e.errorID), http.StatusCreated, ""},
		{"transaction with payment method", with(v, "type", "transaction", "observer", "non_occurrence",
			"paymentMethod", "card"), http.StatusCreated, ""},
		{"no name", with(v, "name", ""), http.StatusBadRequest, "name"},
		{"bad type", with(v, "type", "sale"), http.StatusBadRequest, "type"},
		{"bad observer", with(v, "observer", "sometimes"), http.StatusBadRequest, "observer"},
		{"timer 0", with(v, "timer", 0), http.StatusBadRequest, "timer"},
		{"timerType 0", with(v, "timerType", 0), http.StatusBadRequest, "timerType"},
		{"timerType 5", with(v, "timerType", 5), http.StatusBadRequest, "timerType"},
		{"occurs negative", with(v, "occurs", -1), http.StatusBadRequest, "occurs"},
		{"repeatEvery negative", with(v, "repeatEvery", -5), http.StatusBadRequest, "repeatEvery"},
		{"non_resolution without error", with(v, "observer", "non_resolution"), http.StatusBadRequest, "error"},
		{"non_resolution of transactions", with(v, "type", "transaction", "observer", "non_resolution"),
			http.StatusBadRequest, "observer"},
		{"error on a transaction observer", with(v, "type", "transaction", "error", e.errorID),
			http.StatusBadRequest, "error"},
		{"payment method on an event observer", with(v, "paymentMethod", "cash"), http.StatusBadRequest, "paymentMethod"},
		{"bad payment method", with(v, "type", "transaction", "paymentMethod", "iou"), http.StatusBadRequest, "paymentMethod"},
		{"another tenant's error", with(v, "error", bFleet.IDs["erroridentities"]), http.StatusBadRequest, "error"},
		{"unknown alert group", with(v, "alertGroup", 999999), http.StatusBadRequest, "alertGroup"},
		{"another tenant's alert group", with(v, "alertGroup", bFleet.IDs["alertgroups"]), http.StatusBadRequest, "alertGroup"},
		{"another tenant's machine", with(v, "machines", []int64{e.machine, bFleet.IDs["machines"]}),
			http.StatusBadRequest, "machines"},
		{"openingHours 1 (seed)", with(v, "openingHours", 1), http.StatusCreated, ""},
		{"openingHours not a bool", with(v, "openingHours", 2), http.StatusBadRequest, "openingHours"},
		{"read-only sentAt (seed)", with(v, "sentAt", "2024-01-01T00:00:00Z"), http.StatusCreated, ""},
		{"unknown field", with(v, "sentOn", "2024-01-01T00:00:00Z"), http.StatusBadRequest, "sentOn"},
		{"machine 0", with(v, "machines", []int64{0}), http.StatusBadRequest, "machines"},
		{"error 0", with(v, "error", 0), http.StatusBadRequest, "error"},
		{"condition does not compile", with(v, "condition", "event.code ==\n  event.nope"),
			http.StatusUnprocessableEntity, "condition"},
		{"condition not a bool", with(v, "condition", "event.type + 1"), http.StatusUnprocessableEntity, "condition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.h.Post("/api/v1/alertobservers", e.tn.AccessToken, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r)
			}
			if tt.field == "" {
				return
			}
			body := r.Error(t)
			if _, ok := body.Fields[tt.field]; !ok {
				t.Errorf("error %+v does not name %s", body, tt.field)
			}
			if tt.status == http.StatusUnprocessableEntity && !strings.Contains(body.Message, "line ") {
				t.Errorf("expression error without a position: %+v", body)
			}
		})
	}
}

func TestObserverConditionErrorPosition(t *testing.T) {
	e := newIngestEnv(t)
	r := e.h.Post("/api/v1/alertobservers", e.tn.AccessToken,
		with(validObserver(), "condition", "event.code == \"A\" &&\n  machine.nmae == \"x\""))
	body := r.ExpectError(t, http.StatusUnprocessableEntity, "invalid_expression")
	if !strings.Contains(body.Message, "line 2, column") {
		t.Errorf("message %q does not point at line 2", body.Message)
	}
}

func TestObserverCRUD(t *testing.T) {
	e := newIngestEnv(t)
	id := e.h.MustCreate(e.tn.AccessToken, "/api/v1/alertobservers",
		with(validObserver(), "machines", []int64{e.machine}, "condition", `event.type == 1`))
	path := fmt.Sprintf("/api/v1/alertobservers/%d", id)
	got := e.h.Get(path, e.tn.AccessToken).Expect(t, http.StatusOK).Object(t)
	if got["condition"] != "event.type == 1" || got["openingHours"] != true || got["alertGroup"] != nil ||
		fmt.Sprint(got["machines"]) != fmt.Sprintf("[%d]", e.machine) || got["userGroup"] != float64(e.tn.GroupID) {
		t.Errorf("stored observer: %v", got)
	}
	e.h.Put(path, e.tn.AccessToken, with(validObserver(), "name", "renamed", "timerType", 4)).Expect(t, http.StatusOK)
	e.h.Put(path, e.tn.AccessToken, with(validObserver(), "condition", "nope(")).
		ExpectError(t, http.StatusUnprocessableEntity, "invalid_expression")
	got = e.h.Get(path, e.tn.AccessToken).Expect(t, http.StatusOK).Object(t)
	if got["name"] != "renamed" || got["timerType"] != float64(4) || fmt.Sprint(got["machines"]) != "[]" {
		t.Errorf("updated observer: %v", got)
	}
	if n := e.count(t, "/api/v1/alertobservers?where[type][eq]=event&where[timerType][eq]=4"); n != "1" {
		t.Errorf("filtered observers: %s", n)
	}
	csv := e.h.Get("/api/v1/alertobservers/export?columns[]=name&columns[]=observer", e.tn.AccessToken).
		Expect(t, http.StatusOK)
	if want := "name,observer\nrenamed,occurrence\n"; string(csv.Body) != want {
		t.Errorf("export = %q, want %q", csv.Body, want)
	}
	e.h.Delete(path, e.tn.AccessToken).Expect(t, http.StatusOK)
	e.h.Get(path, e.tn.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
}
