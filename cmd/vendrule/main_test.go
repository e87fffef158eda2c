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
}

func TestLoadConfig(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "VENDRULE_ADDR", "SMTP_URL", "MAIL_FROM", "VENDRULE_SECRET", "VENDRULE_TICK", "VENDRULE_TRUSTED_PROXIES"} {
		t.Setenv(k, "")
	}
	c, err := LoadConfig()
	if err != nil || c.Addr != ":8080" || c.MailFrom != "vendrule@localhost" || c.Tick != 30*time.Second || c.DatabaseURL != "" {
		t.Errorf("defaults: %+v %v", c, err)
	}
	for env, val := range map[string]string{
		"VENDRULE_TICK":            "soon",
		"SMTP_URL":                 "http://mail.example.test",
		"VENDRULE_SECRET":          "short",
		"VENDRULE_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example",
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
	t.Setenv("VENDRULE_TICK", "500ms")
	if _, err := LoadConfig(); err == nil {
		t.Errorf("tick below 1s accepted")
	}
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

	m := NewMain(Config{DatabaseURL: url, Addr: "127.0.0.1:0", MailFrom: "vendrule@localhost",
		Tick: time.Second, BaseURL: "http://localhost"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	base := "http://" + m.Addr()

	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
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
	m2 := NewMain(Config{DatabaseURL: url, Addr: "127.0.0.1:0", Tick: time.Second})
	ctx2, cancel2 := context.WithCancel(context.Background())
	if err := m2.Open(ctx2); err != nil {
		t.Fatal(err)
	}
	done2 := make(chan error, 1)
	go func() { done2 <- m2.Run(ctx2) }()
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
	m2.Close()

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
