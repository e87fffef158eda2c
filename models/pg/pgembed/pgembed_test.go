//go:build unix

package pgembed

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tempBase returns a short-named temporary directory that is removed when
// the test ends. As root it is 0700; Start must make it traversable.
func tempBase(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgembed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// requireBinaries skips the test when the machine has no PostgreSQL.
func requireBinaries(t *testing.T) {
	t.Helper()
	if _, err := findBinaries(); err != nil {
		t.Skipf("real PostgreSQL binaries needed: %v", err)
	}
}

// startServer starts a server on dataDir and stops it when the test ends.
func startServer(t *testing.T, ctx context.Context, dataDir string) *Server {
	t.Helper()
	srv, err := Start(ctx, dataDir, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop in cleanup: %v", err)
		}
	})
	return srv
}

// query runs one statement on url and returns the first column of the first
// row, if any.
func query(t *testing.T, ctx context.Context, url, sql string, args ...any) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var got string
	err = conn.QueryRow(ctx, sql, args...).Scan(&got)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("%s: %v", sql, err)
	}
	return got
}

func TestStartKeepsDataAcrossRestarts(t *testing.T) {
	requireBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A space and a quote check the quoting of the pg_ctl and postgres
	// command lines and of the URL.
	dataDir := filepath.Join(tempBase(t), "data dir's")

	srv := startServer(t, ctx, dataDir)
	if want := "host=" + strings.ReplaceAll(url.QueryEscape(filepath.Join(dataDir, "run")), "+", "%20"); !strings.Contains(srv.URL(), want) {
		t.Errorf("URL() = %s, want it to contain %s", srv.URL(), want)
	}
	query(t, ctx, srv.URL(), "CREATE TABLE kept (v text)")
	query(t, ctx, srv.URL(), "INSERT INTO kept (v) VALUES ($1) RETURNING v", "survives")

	if _, err := Start(ctx, dataDir, nil); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Start on a running data dir: err = %v, want an already running error", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	srv = startServer(t, ctx, dataDir)
	if got := query(t, ctx, srv.URL(), "SELECT v FROM kept"); got != "survives" {
		t.Errorf("after restart: got %q, want %q", got, "survives")
	}
	if got := query(t, ctx, srv.URL(), "SHOW listen_addresses"); got != "" {
		t.Errorf("listen_addresses = %q, want no TCP listener", got)
	}

	// A crash leaves a stale postmaster.pid behind; the next Start recovers.
	crash(t, srv)
	srv = startServer(t, ctx, dataDir)
	if got := query(t, ctx, srv.URL(), "SELECT v FROM kept"); got != "survives" {
		t.Errorf("after crash: got %q, want %q", got, "survives")
	}
	log, err := os.ReadFile(filepath.Join(dataDir, "postgres.log"))
	if err != nil || len(log) == 0 {
		t.Errorf("postgres.log: %d bytes, err %v; want the server log", len(log), err)
	}
}

// crash kills the postmaster of srv and its children with SIGKILL and waits
// for them to exit, leaving postmaster.pid behind.
func crash(t *testing.T, srv *Server) {
	t.Helper()
	pidFile := filepath.Join(srv.paths.pgdata, "postmaster.pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	// pg_ctl starts the postmaster in its own process group.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill postmaster %d: %v", pid, err)
	}
	srv.mu.Lock()
	srv.stopped = true
	srv.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(-pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still exists 10s after SIGKILL", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("want a stale postmaster.pid after the crash: %v", err)
	}
}

func TestStartWithoutBinariesGivesOneLine(t *testing.T) {
	t.Setenv("VENDRULE_PG_BINDIR", t.TempDir())
	_, err := Start(context.Background(), tempBase(t), nil)
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "no PostgreSQL binaries found: install PostgreSQL") {
		t.Errorf("error is not one clear line: %q", msg)
	}
}

func TestStartRefusesForeignPgdata(t *testing.T) {
	requireBinaries(t)
	dataDir := tempBase(t)
	if err := os.MkdirAll(filepath.Join(dataDir, "pgdata", "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), dataDir, nil)
	if err == nil || !strings.Contains(err.Error(), "holds no PostgreSQL data") {
		t.Errorf("err = %v, want a not-a-data-dir error", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pgdata", "keep")); err != nil {
		t.Errorf("Start touched a foreign pgdata: %v", err)
	}
}

func TestStartRejectsLongSocketPath(t *testing.T) {
	dataDir := filepath.Join(tempBase(t), strings.Repeat("d", 100))
	_, err := Start(context.Background(), dataDir, nil)
	if err == nil || !strings.Contains(err.Error(), "use a shorter data dir") {
		t.Errorf("err = %v, want a socket path length error", err)
	}
}

func TestStartRejectsShellSpecialPath(t *testing.T) {
	_, err := Start(context.Background(), filepath.Join(tempBase(t), "a$b"), nil)
	if err == nil || !strings.Contains(err.Error(), "pg_ctl cannot handle") {
		t.Errorf("err = %v, want a path error", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":    "'plain'",
		"a b":      "'a b'",
		"it's":     `'it'\''s'`,
		"":         "''",
		`x="/a b"`: `'x="/a b"'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
