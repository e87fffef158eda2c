package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vendrule/vendrule/web/webtest"
)

func TestAlertsStatusAndBacktestOverHTTP(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("alrA", true)
	b := h.NewTenant("alrB", true)
	f := h.MakeFleet(a.AccessToken, "alrA-")
	h.MakeFleet(b.AccessToken, "alrB-")
	m := f.IDs["machines"]
	obs := h.MustCreate(a.AccessToken, "/api/v1/alertobservers", map[string]any{"name": "each", "type": "event",
		"observer": "occurrence", "occurs": 1, "timer": 10, "timerType": 1, "machines": []int64{m}})
	key := issueKey(t, h, a.AccessToken, m).APIKey
	now := h.Clock.Now()
	h.Post("/api/v1/logs", key, map[string]any{"remote": 77, "code": "X", "occurredAt": now.Format(time.RFC3339)}).
		Expect(t, http.StatusOK)

	firing := h.Get(fmt.Sprintf("/api/v1/alerts?where[observer][eq]=%d&where[status][eq]=firing", obs), a.AccessToken).
		Expect(t, http.StatusOK).Objects(t)
	if len(firing) != 1 || firing[0]["machine"] != float64(m) || firing[0]["lastItem"] == nil {
		t.Fatalf("firing alerts: %v", firing)
	}
	id := jsonID(firing[0]["id"])
	h.Get("/api/v1/alerts/"+id, a.AccessToken).Expect(t, http.StatusOK)
	h.Get("/api/v1/alerts/"+id, b.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	if got := h.Get("/api/v1/alerts?where[status][eq]=firing", b.AccessToken).Expect(t, http.StatusOK).Objects(t); len(got) != 0 {
		t.Errorf("B sees A's alerts: %v", got)
	}

	ids := func(path, token string) []string {
		var out []string
		for _, it := range h.Get(path, token).Expect(t, http.StatusOK).Objects(t) {
			out = append(out, jsonID(it["id"]))
		}
		return out
	}
	if got := ids("/api/v1/alertobservers/status/firing", a.AccessToken); fmt.Sprint(got) != fmt.Sprintf("[%d]", obs) {
		t.Errorf("firing observers %v", got)
	}
	if got := ids("/api/v1/machines/status/firing", a.AccessToken); fmt.Sprint(got) != fmt.Sprintf("[%d]", m) {
		t.Errorf("firing machines %v", got)
	}
	if got := ids("/api/v1/machines/status/firing", b.AccessToken); len(got) != 0 {
		t.Errorf("B's firing machines %v", got)
	}
	h.Get("/api/v1/machines/status/burning", a.AccessToken).ExpectError(t, http.StatusBadRequest, "invalid")

	period := map[string]any{"from": now.Add(-time.Hour).Format(time.RFC3339), "to": now.Add(time.Hour).Format(time.RFC3339)}
	var res struct {
		Alerts []map[string]any `json:"alerts"`
	}
	h.Post(fmt.Sprintf("/api/v1/alertobservers/%d/backtest", obs), a.AccessToken, period).Expect(t, http.StatusOK).Decode(t, &res)
	if len(res.Alerts) != 1 || res.Alerts[0]["status"] != "resolved" {
		t.Errorf("backtest: %v", res.Alerts)
	}
	unsaved := with(period, "name", "try", "type", "event", "observer", "occurrence", "occurs", 2, "timer", 10, "timerType", 1)
	h.Post("/api/v1/alertobservers/backtest", a.AccessToken, unsaved).Expect(t, http.StatusOK).Decode(t, &res)
	if len(res.Alerts) != 0 {
		t.Errorf("unsaved backtest: %v", res.Alerts)
	}
	h.Post("/api/v1/alertobservers/backtest", a.AccessToken, with(unsaved, "condition", "nope(")).
		ExpectError(t, http.StatusUnprocessableEntity, "invalid_expression")
	if n := h.Get("/api/v1/alerts", a.AccessToken).Header.Get("X-Total-Count"); n != "2" { // + the fixture
		t.Errorf("backtests stored alerts: total %s", n)
	}
}
