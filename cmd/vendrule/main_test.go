package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// emptyDB sets DATABASE_URL to a fresh database without migrations.
func emptyDB(t *testing.T) string {
	t.Helper()
	url, drop, err := pgtest.EmptyDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	t.Setenv("DATABASE_URL", url)
	return url
}

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestMigrateCommand(t *testing.T) {
	emptyDB(t)
	out, err := runCmd(t, "", "migrate", "status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "00001 pending") || !strings.Contains(out, "00002 pending") {
		t.Errorf("status before up:\n%s", out)
	}
	if _, err := runCmd(t, "", "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	out, _ = runCmd(t, "", "migrate", "status")
	if strings.Contains(out, "pending") || !strings.Contains(out, "00001 applied") || !strings.Contains(out, "00002_fleet.sql") {
		t.Errorf("status after up:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := strings.Fields(lines[len(lines)-1])[0]
	out, err = runCmd(t, "", "migrate", "down")
	if err != nil || !strings.Contains(out, "rolled back "+strings.TrimLeft(last, "0")) {
		t.Errorf("down: %q %v (last version %s)", out, err, last)
	}
	out, _ = runCmd(t, "", "migrate", "status")
	if !strings.Contains(out, last+" pending") {
		t.Errorf("status after down:\n%s", out)
	}
	if _, err := runCmd(t, "", "migrate"); err != nil { // up is the default
		t.Fatal(err)
	}
	if _, err := runCmd(t, "", "migrate", "sideways"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("unknown action: %v", err)
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, err := runCmd(t, "", "version")
	if err != nil || !strings.HasPrefix(out, "vendrule ") {
		t.Errorf("version: %q %v", out, err)
	}
	for _, args := range [][]string{nil, {"frobnicate"}} {
		if _, err := runCmd(t, "", args...); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v: %v, want usage", args, err)
		}
	}
	// asked for, the usage is an answer, not an error
	for _, arg := range []string{"help", "-h", "--help"} {
		if out, err := runCmd(t, "", arg); err != nil || !strings.HasPrefix(out, "usage:") {
			t.Errorf("%s: %q %v, want the usage and no error", arg, out, err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "VENDRULE_ADDR", "SMTP_URL", "MAIL_FROM", "VENDRULE_SECRET", "VENDRULE_TICK", "VENDRULE_TRUSTED_PROXIES",
		"VENDRULE_METRICS_ADDR", "VENDRULE_METRICS_TOKEN"} {
		t.Setenv(k, "")
	}
	c, err := LoadConfig()
	if err != nil || c.Addr != ":8080" || c.MailFrom != "vendrule@localhost" || c.Tick != 30*time.Second || c.DatabaseURL != "" {
		t.Errorf("defaults: %+v %v", c, err)
	}
	if c.MetricsAddr != "" || c.MetricsToken != "" {
		t.Errorf("metrics defaults: on the main address without a token, got %q %q", c.MetricsAddr, c.MetricsToken)
	}
	for env, val := range map[string]string{
		"VENDRULE_TICK":            "soon",
		"SMTP_URL":                 "http://mail.example.test",
		"VENDRULE_SECRET":          "short",
		"VENDRULE_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example",
		"VENDRULE_METRICS_ADDR":    "9464",
		"VENDRULE_METRICS_TOKEN":   "short",
	} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, val)
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), env) {
				t.Errorf("%s=%s: %v", env, val, err)
			}
		})
	}
	t.Setenv("VENDRULE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7")
	if c, err := LoadConfig(); err != nil || len(c.Proxies) != 2 {
		t.Errorf("trusted proxies: %v %v", c.Proxies, err)
	}
	t.Setenv("VENDRULE_METRICS_ADDR", ":8080")
	if _, err := LoadConfig(); err == nil {
		t.Errorf("metrics address equal to the main address accepted")
	}
	t.Setenv("VENDRULE_METRICS_ADDR", "127.0.0.1:9464")
	t.Setenv("VENDRULE_METRICS_TOKEN", "sixteen-chars-ok")
	if c, err := LoadConfig(); err != nil || c.MetricsAddr != "127.0.0.1:9464" || c.MetricsToken != "sixteen-chars-ok" {
		t.Errorf("metrics settings: %q %q %v", c.MetricsAddr, c.MetricsToken, err)
	}
	t.Setenv("VENDRULE_TICK", "500ms")
	if _, err := LoadConfig(); err == nil {
		t.Errorf("tick below 1s accepted")
	}
}

// startMain opens a service for cfg and runs it until cancel; done gives
// Run's answer. The service is closed when t ends.
func startMain(t *testing.T, cfg Config) (m *Main, done <-chan error, cancel context.CancelFunc) {
	t.Helper()
	m = NewMain(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Close() })
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	return m, errc, cancel
}

// httpGet gets url, with token as the bearer token when set, and returns
// the status and the body.
func httpGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The whole service on 127.0.0.1:0: bootstrap a user with `user add`, log in
// over HTTP, read the metrics (with the database pool's), shut down cleanly.
func TestMainServesAndShutsDown(t *testing.T) {
	url := emptyDB(t)
	out, err := runCmd(t, "bootstrap password\n", "user", "add", "--group", "Acme", "--username", "root",
		"--email", "root@example.test", "--admin", "--password-stdin")
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	if _, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64); err != nil {
		t.Errorf("user add printed %q, want the id", out)
	}
	if _, err := runCmd(t, "x\n", "user", "add", "--group", "Acme", "--username", "u", "--email", "u@example.test"); err == nil {
		t.Errorf("user add without --password-stdin succeeded")
	}

	m, done, cancel := startMain(t, Config{DatabaseURL: url, Addr: "127.0.0.1:0", MailFrom: "vendrule@localhost",
		Tick: time.Second, BaseURL: "http://localhost"})
	base := "http://" + m.Addr()

	get := func(path, token string) (int, string) {
		t.Helper()
		return httpGet(t, base+path, token)
	}
	if s, b := get("/healthz", ""); s != http.StatusOK {
		t.Errorf("healthz: %d %s", s, b)
	}
	if s, b := get("/readyz", ""); s != http.StatusOK {
		t.Errorf("readyz: %d %s", s, b)
	}
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username": "root", "password": "bootstrap password"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tk.AccessToken == "" {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if s, b := get("/api/v1/auth/me", tk.AccessToken); s != http.StatusOK || !strings.Contains(b, `"Acme"`) {
		t.Errorf("me: %d %s", s, b)
	}

	s, metrics := get("/metrics", "")
	if s != http.StatusOK {
		t.Fatalf("metrics: %d", s)
	}
	for _, want := range []string{
		"vendrule_http_requests_total{",
		`vendrule_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"} 1`,
		"go_goroutines ",
		"process_",
		`go_sql_max_open_connections{db_name="vendrule"} 40`,
		`go_sql_open_connections{db_name="vendrule"}`,
		`go_sql_wait_count_total{db_name="vendrule"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The signing key was generated once and kept in the database: a second
	// instance on the same database accepts the first one's tokens.
	m2, done2, cancel2 := startMain(t, Config{DatabaseURL: url, Addr: "127.0.0.1:0", Tick: time.Second})
	req, _ := http.NewRequest(http.MethodGet, "http://"+m2.Addr()+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusOK {
		t.Errorf("second replica rejects the first's token: %v %v", r2, err)
	} else {
		r2.Body.Close()
	}
	cancel2()
	if err := <-done2; err != nil {
		t.Errorf("second replica Run: %v", err)
	}

	// Graceful shutdown: Run returns nil and the port is closed.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("still serving after shutdown")
	}
}

// With VENDRULE_METRICS_ADDR, /metrics is served there and not on the main
// address; with VENDRULE_METRICS_TOKEN, only to its bearer.
func TestMetricsAddrAndToken(t *testing.T) {
	url := emptyDB(t)
	const token = "metrics-token-0123456789"
	status := func(u, bearer string) (int, string) {
		t.Helper()
		return httpGet(t, u, bearer)
	}
	for _, c := range []struct {
		name     string
		separate bool
	}{{"own address", true}, {"main address", false}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{DatabaseURL: url, Addr: "127.0.0.1:0", Tick: time.Second, MetricsToken: token}
			if c.separate {
				cfg.MetricsAddr, cfg.Pprof = "127.0.0.1:0", true
			}
			m, done, cancel := startMain(t, cfg)
			metrics := "http://" + m.Addr() + "/metrics"
			if c.separate {
				if s, _ := status(metrics, token); s != http.StatusNotFound {
					t.Errorf("main address serves /metrics: %d", s)
				}
				metrics = "http://" + m.MetricsAddr() + "/metrics"
				if s, _ := status("http://"+m.MetricsAddr()+"/healthz", ""); s != http.StatusNotFound {
					t.Errorf("metrics address serves more than /metrics: %d", s)
				}
				profiles := "http://" + m.MetricsAddr() + "/debug/pprof/"
				if s, _ := status(profiles, ""); s != http.StatusUnauthorized {
					t.Errorf("profiles without the token: %d, want 401", s)
				}
				if s, b := status(profiles, token); s != http.StatusOK || !strings.Contains(b, "goroutine") {
					t.Errorf("profiles with the token: %d", s)
				}
			}
			for _, bearer := range []string{"", "wrong", token + "x", token[:len(token)-1]} {
				if s, b := status(metrics, bearer); s != http.StatusUnauthorized || !strings.Contains(b, `"unauthorized"`) {
					t.Errorf("bearer %q: %d %s, want 401", bearer, s, b)
				}
			}
			if s, b := status(metrics, token); s != http.StatusOK || !strings.Contains(b, "go_goroutines ") {
				t.Errorf("with the token: %d", s)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			if c.separate {
				if _, err := http.Get(metrics); err == nil {
					t.Errorf("metrics address still open after shutdown")
				}
			}
		})
	}
}
