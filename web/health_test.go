package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models/pgtest"
	"github.com/vendrule/vendrule/web/webtest"
)

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	if b := h.Get("/healthz", "").Expect(t, http.StatusOK).Object(t); b["status"] != "ok" {
		t.Errorf("healthz = %v", b)
	}
	if b := h.Get("/readyz", "").Expect(t, http.StatusOK).Object(t); b["status"] != "ready" {
		t.Errorf("readyz = %v", b)
	}
	h.Get("/api/v1/machines", "").Expect(t, http.StatusUnauthorized)
	h.Get("/api/v1/nowhere", "").Expect(t, http.StatusNotFound)

	r := h.Get("/metrics", "").Expect(t, http.StatusOK)
	body := string(r.Body)
	for _, want := range []string{
		`vendrule_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`vendrule_http_requests_total{method="GET",route="/api/v1/machines",status="401"} 1`,
		// Unknown paths share one label value, so that scanners cannot blow up the series.
		`vendrule_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`vendrule_http_request_duration_seconds_bucket{method="GET",route="/readyz",`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "nowhere") {
		t.Errorf("metrics carry a raw unknown path")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("metrics Content-Type %q", ct)
	}
	// Every answer carries a request id, and a sane one given by the caller is kept.
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("no X-Request-Id")
	}
	rr := h.Do(webtest.Req{Method: http.MethodGet, Path: "/healthz", Header: http.Header{"X-Request-Id": {"abc-123"}}})
	if rr.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("X-Request-Id %q, want abc-123", rr.Header.Get("X-Request-Id"))
	}
}

func TestReadyzPendingAndUnavailable(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	// Forget the last migration: the schema is then behind the binary.
	if err := h.DB.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`).Error; err != nil {
		t.Fatal(err)
	}
	e := h.Get("/readyz", "").ExpectError(t, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(e.Message, "migration") {
		t.Errorf("readyz message %q", e.Message)
	}
	h.Get("/healthz", "").Expect(t, http.StatusOK)

	// Database gone: readyz says so, and API calls answer 503, not 500.
	var name string
	h.DB.Raw("SELECT current_database()").Scan(&name)
	conn, err := pgx.Connect(context.Background(), pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{
		`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS false`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `'`,
	} {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	h.Get("/readyz", "").ExpectError(t, http.StatusServiceUnavailable, "unavailable")
	h.Get("/healthz", "").Expect(t, http.StatusOK)
	for i := range 3 { // several times: no pooled connection may still answer
		r := h.Login("someone", "some password")
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("login %d without a database: %s, want 503", i, r)
		}
	}
	h.Get("/api/v1/machines", webtest.Secret).Expect(t, http.StatusUnauthorized)
}
