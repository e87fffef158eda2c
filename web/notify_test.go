package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/notify"
	"github.com/vendrule/vendrule/notify/notifytest"
	"github.com/vendrule/vendrule/web/webtest"
)

func TestNotifyResourceValidation(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Notif", true)
	b := h.NewTenant("Other", true)
	bLang := h.MustCreate(b.AccessToken, "/api/v1/languages", map[string]any{"name": "Français", "language": "fr", "locale": "fr_FR"})
	g := h.MustCreate(a.AccessToken, "/api/v1/alertgroups", map[string]any{"name": "Night shift"})
	recipient := func(kv ...any) map[string]any {
		return with(map[string]any{"name": "Ann", "email": "ann@example.test", "alertGroup": g, "active": true}, kv...)
	}
	tests := []struct {
		name, path string
		body       map[string]any
		status     int
		field      string
	}{
		{"digest group", "/api/v1/alertgroups", map[string]any{"name": "d", "schedule": "0 8 * * 1-5", "timeZone": "Europe/Amsterdam"}, 201, ""},
		{"bad cron", "/api/v1/alertgroups", map[string]any{"name": "d", "schedule": "every morning"}, 400, "schedule"},
		{"six-field cron", "/api/v1/alertgroups", map[string]any{"name": "d", "schedule": "0 0 8 * * *"}, 400, "schedule"},
		{"bad time zone", "/api/v1/alertgroups", map[string]any{"name": "d", "timeZone": "Mars/Olympus"}, 400, "timeZone"},
		{"group without name", "/api/v1/alertgroups", map[string]any{"schedule": "immediate"}, 400, "name"},
		{"recipient", "/api/v1/alertrecipients", recipient(), 201, ""},
		{"recipient in German", "/api/v1/alertrecipients", recipient("language", builtIn(t, h, a, "de")), 201, ""},
		{"invalid address", "/api/v1/alertrecipients", recipient("email", "ann at example"), 400, "email"},
		{"address with a name", "/api/v1/alertrecipients", recipient("email", "Ann <ann@example.test>"), 400, "email"},
		{"empty address", "/api/v1/alertrecipients", recipient("email", ""), 400, "email"},
		{"no group", "/api/v1/alertrecipients", recipient("alertGroup", 0), 400, "alertGroup"},
		{"another tenant's language", "/api/v1/alertrecipients", recipient("language", bLang), 400, "language"},
		{"unknown field", "/api/v1/alertrecipients", recipient("phone", "123"), 400, "phone"},
		{"translation", "/api/v1/translations", map[string]any{"key": "alert.link", "language": builtIn(t, h, a, "nl"), "value": "Bekijk"}, 201, ""},
		{"unknown key", "/api/v1/translations", map[string]any{"key": "alert.nope", "language": builtIn(t, h, a, "nl"), "value": "x"}, 400, "key"},
		{"translation in another tenant's language", "/api/v1/translations", map[string]any{"key": "alert.link", "language": bLang}, 400, "language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Post(tt.path, a.AccessToken, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r)
			}
			if tt.field != "" {
				if e := r.Error(t); e.Fields[tt.field] == "" {
					t.Errorf("error %+v does not name %s", e, tt.field)
				}
			}
		})
	}
	// A recipient cannot be moved to an invalid address either.
	id := h.MustCreate(a.AccessToken, "/api/v1/alertrecipients", recipient("email", "bob@example.test"))
	h.Put(fmt.Sprintf("/api/v1/alertrecipients/%d", id), a.AccessToken, map[string]any{"email": "bob@"}).
		ExpectError(t, http.StatusBadRequest, "invalid")
	// Built-in languages are listed for everyone and cannot be changed.
	langs := h.Get("/api/v1/languages", a.AccessToken).Expect(t, http.StatusOK).Objects(t)
	if len(langs) != 3 {
		t.Errorf("tenant A sees %d languages, want the 3 built-in ones: %v", len(langs), langs)
	}
	h.Put(fmt.Sprintf("/api/v1/languages/%d", builtIn(t, h, a, "en")), a.AccessToken, map[string]any{"name": "Engels"}).
		ExpectError(t, http.StatusForbidden, "forbidden")
	keys := h.Get("/api/v1/translations/keys", a.AccessToken).Expect(t, http.StatusOK)
	if !strings.Contains(string(keys.Body), "alert.subject") {
		t.Errorf("keys %s", keys)
	}
}

// builtIn returns the id of the built-in language with code.
func builtIn(t *testing.T, h *webtest.Harness, tn *webtest.Tenant, code string) int64 {
	t.Helper()
	for _, l := range h.Get("/api/v1/languages?where[language][eq]="+code, tn.AccessToken).Expect(t, http.StatusOK).Objects(t) {
		if l["userGroup"] == nil {
			return int64(l["id"].(float64))
		}
	}
	t.Fatalf("no built-in language %s", code)
	return 0
}

func TestAlertGroupTestAndRetry(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Tester", true)
	smtp := notifytest.Start(t)
	d := notify.NewDeliverer(h.DB, smtp.Channel(t))
	g := h.MustCreate(a.AccessToken, "/api/v1/alertgroups", map[string]any{"name": "Ops", "schedule": "0 8 * * *"})
	path := fmt.Sprintf("/api/v1/alertgroups/%d/test", g)
	h.Post(path, a.AccessToken, nil).ExpectError(t, http.StatusBadRequest, "invalid") // nobody to send to
	for _, r := range []map[string]any{
		{"name": "Ann", "email": "ann@example.test", "alertGroup": g, "language": builtIn(t, h, a, "nl")},
		{"name": "Bob", "email": "bob@example.test", "alertGroup": g, "active": false},
		{"name": "Cyd", "email": "cyd@example.test", "alertGroup": g},
	} {
		h.MustCreate(a.AccessToken, "/api/v1/alertrecipients", r)
	}
	smtp.Reject("cyd@example.test", 550)
	r := h.Post(path, a.AccessToken, nil).Expect(t, http.StatusAccepted).Object(t)
	if r["recipients"] != float64(2) {
		t.Fatalf("test answer %v, want 2 recipients (Bob is inactive)", r)
	}
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	ann := smtp.To("ann@example.test")
	if len(ann) != 1 || !strings.Contains(ann[0].Subject, "Testbericht voor de meldingsgroep Ops") {
		t.Fatalf("Ann got %+v", ann)
	}

	// The refused message is failed; it is listed with its error, and a retry
	// sends it once the server takes it.
	failed := h.Get("/api/v1/notifications?where[status][eq]=failed&where[to][eq]=cyd@example.test", a.AccessToken).
		Expect(t, http.StatusOK).Objects(t)
	if len(failed) != 1 || !strings.Contains(failed[0]["lastError"].(string), "550") || failed[0]["kind"] != "test" {
		t.Fatalf("failed notifications %v", failed)
	}
	id := int64(failed[0]["id"].(float64))
	smtp.Reject("cyd@example.test", 0)
	retried := h.Post(fmt.Sprintf("/api/v1/notifications/%d/retry", id), a.AccessToken, nil).Expect(t, http.StatusOK).Object(t)
	if retried["status"] != "pending" || retried["attempts"] != float64(0) {
		t.Errorf("after retry %v", retried)
	}
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(smtp.To("cyd@example.test")); n != 1 {
		t.Errorf("Cyd got %d mails after the retry", n)
	}
	h.Post(fmt.Sprintf("/api/v1/notifications/%d/retry", id), a.AccessToken, nil).ExpectError(t, http.StatusConflict, "conflict")
	sent := h.Get("/api/v1/notifications?where[status][eq]=sent", a.AccessToken).Expect(t, http.StatusOK)
	if sent.Header.Get("X-Total-Count") != "2" {
		t.Errorf("sent notifications: %s", sent)
	}
	csv := h.Get("/api/v1/notifications/export?columns[]=to&columns[]=status", a.AccessToken).Expect(t, http.StatusOK)
	if !strings.Contains(string(csv.Body), "cyd@example.test,sent") {
		t.Errorf("export %s", csv)
	}
}

// Account emails go through the same rendering: in the user's language.
func TestAccountEmailInUserLanguage(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Lang", true)
	h.MustCreate(a.AccessToken, "/api/v1/users", map[string]any{"username": "hans", "email": "hans@example.test",
		"language": builtIn(t, h, a, "de")})
	rows := outbox(t, h, "hans@example.test")
	if len(rows) != 1 || rows[0].Subject != "Aktivieren Sie Ihr vendrule-Konto" || !strings.Contains(rows[0].BodyText, "Hallo hans,") {
		t.Fatalf("outbox %+v", rows)
	}
	tokenIn(t, rows[0].BodyText)
}
