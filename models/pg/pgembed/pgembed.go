// Package pgembed runs a private PostgreSQL server from the machine's own
// PostgreSQL binaries, for `vendrule serve` when no DATABASE_URL is given.
//
// The server keeps its data in <dataDir>/pgdata, so data survives restarts,
// and listens only on a unix socket in <dataDir>/run: it uses trust
// authentication, so it must not be reachable over the network. Its log is
// written to <dataDir>/postgres.log.
//
// PostgreSQL refuses to run as root. When the calling process is root, the
// server files are handed to the "postgres" system user and initdb and pg_ctl
// run as that user.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// socketPort is the port number in the socket file name. The server opens no
// TCP port, so a fixed number cannot clash with another server.
const socketPort = 5432

// maxSocketPath is the longest unix socket path accepted. The kernel limit is
// 104 to 108 bytes depending on the system; stay safely below it.
const maxSocketPath = 99

// startTimeout is the pg_ctl wait, in seconds, for start and stop.
const startTimeout = "60"

// Server is a running embedded PostgreSQL server.
type Server struct {
	paths   paths
	bin     binaries
	owner   *owner
	log     *slog.Logger
	mu      sync.Mutex
	stopped bool
}

// paths are the absolute locations of the server's files.
type paths struct {
	base    string // the caller's data dir
	pgdata  string // the cluster directory
	run     string // the unix socket directory
	logFile string // pg_ctl's server log
}

// Start starts a PostgreSQL server whose files live under dataDir, creating
// and initializing the cluster on first use. A nil log discards messages.
// The caller must call Stop to shut the server down; it keeps running after
// this process exits otherwise.
func Start(ctx context.Context, dataDir string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := newPaths(dataDir)
	if err != nil {
		return nil, err
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	if err := checkShellSafe(bin.dir); err != nil {
		return nil, err
	}
	own, err := currentOwner()
	if err != nil {
		return nil, err
	}
	s := &Server{paths: p, bin: bin, owner: own, log: log}
	if err := s.prepareDirs(); err != nil {
		return nil, err
	}
	if err := s.initIfNeeded(ctx); err != nil {
		return nil, err
	}
	if err := s.checkNotRunning(ctx); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	log.Info("embedded PostgreSQL started", "data", p.pgdata, "socket_dir", p.run, "log", p.logFile)
	return s, nil
}

// newPaths makes dataDir absolute, derives the server's file locations and
// checks that they are usable.
func newPaths(dataDir string) (paths, error) {
	if dataDir == "" {
		return paths{}, errors.New("embedded PostgreSQL: empty data dir")
	}
	base, err := filepath.Abs(dataDir)
	if err != nil {
		return paths{}, fmt.Errorf("embedded PostgreSQL: resolve data dir %q: %w", dataDir, err)
	}
	p := paths{
		base:    base,
		pgdata:  filepath.Join(base, "pgdata"),
		run:     filepath.Join(base, "run"),
		logFile: filepath.Join(base, "postgres.log"),
	}
	if err := checkShellSafe(base); err != nil {
		return paths{}, err
	}
	sock := socketFile(p.run)
	if len(sock) > maxSocketPath {
		return paths{}, fmt.Errorf("embedded PostgreSQL: socket path %s is %d bytes, more than the %d allowed: use a shorter data dir", sock, len(sock), maxSocketPath)
	}
	return p, nil
}

// socketFile is the path of the server's unix socket in dir.
func socketFile(dir string) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(socketPort))
}

// checkShellSafe rejects paths that pg_ctl cannot pass through /bin/sh: it
// wraps the data dir, binary and log paths in double quotes without escaping.
func checkShellSafe(path string) error {
	if i := strings.IndexAny(path, "\"$`\\\n"); i >= 0 {
		return fmt.Errorf("embedded PostgreSQL: path %q contains %q, which pg_ctl cannot handle: use another directory", path, path[i])
	}
	return nil
}

// ErrRunning means a server already runs on the data dir.
var ErrRunning = errors.New("already running")

// RunningURL returns the URL of the server that another process (a running
// `vendrule serve`) keeps on dataDir, for one-off commands that share it.
func RunningURL(dataDir string) (string, error) {
	p, err := newPaths(dataDir)
	if err != nil {
		return "", err
	}
	return (&Server{paths: p}).URL(), nil
}

// URL returns a connection URL for database postgres as user postgres over
// the server's unix socket, usable by libpq and pgx. Query values are
// percent-encoded the way libpq decodes them: a space is %20, not +.
func (s *Server) URL() string {
	query := "host=" + uriEscape(s.paths.run) +
		"&port=" + strconv.Itoa(socketPort) +
		"&sslmode=disable"
	return "postgres://postgres@/postgres?" + query
}

// uriEscape percent-encodes s for a libpq URI query value.
func uriEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Stop shuts the server down with a fast shutdown: open transactions are
// rolled back and clients disconnected. Calling Stop again does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	out, err := s.run(context.Background(), "pg_ctl", "stop", "-D", s.paths.pgdata, "-m", "fast", "-w", "-t", startTimeout)
	if err != nil {
		return fmt.Errorf("embedded PostgreSQL: stop: %w: %s", err, oneLine(out))
	}
	s.stopped = true
	s.log.Info("embedded PostgreSQL stopped", "data", s.paths.pgdata)
	return nil
}

// initIfNeeded runs initdb unless the cluster already exists. It only
// initializes an empty directory, and empties it again when initdb fails, so
// that an interrupted initdb is redone by the next Start.
func (s *Server) initIfNeeded(ctx context.Context) error {
	_, err := os.Stat(filepath.Join(s.paths.pgdata, "PG_VERSION"))
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	entries, err := os.ReadDir(s.paths.pgdata)
	if err != nil {
		return fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("embedded PostgreSQL: %s is not empty but holds no PostgreSQL data (no PG_VERSION): move it away or use another data dir", s.paths.pgdata)
	}
	s.log.Info("initializing embedded PostgreSQL data dir", "data", s.paths.pgdata)
	out, err := s.run(ctx, "initdb", "-D", s.paths.pgdata, "-U", "postgres",
		"--auth=trust", "-E", "UTF8", "--locale=C")
	if err != nil {
		_ = os.RemoveAll(s.paths.pgdata)
		return fmt.Errorf("embedded PostgreSQL: initdb %s: %w: %s", s.paths.pgdata, err, lastLines(out, 10))
	}
	return nil
}

// checkNotRunning fails when a server is already running on the data dir,
// for example one started by another `vendrule serve`.
func (s *Server) checkNotRunning(ctx context.Context) error {
	out, err := s.run(ctx, "pg_ctl", "status", "-D", s.paths.pgdata)
	if err == nil {
		return fmt.Errorf("embedded PostgreSQL: a server is already running on %s (%s): stop it (is another vendrule serve running?) or use another data dir: %w",
			s.paths.pgdata, firstLine(out), ErrRunning)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("embedded PostgreSQL: %w", ctx.Err())
	}
	return nil
}

// start runs pg_ctl start and waits until the server accepts connections.
func (s *Server) start(ctx context.Context) error {
	out, err := s.run(ctx, "pg_ctl", "start", "-D", s.paths.pgdata, "-l", s.paths.logFile,
		"-w", "-t", startTimeout, "-o", s.serverOptions())
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		// pg_ctl was killed, but the server it launched may still come up.
		s.stopQuietly()
	}
	return fmt.Errorf("embedded PostgreSQL: start (log %s): %w: %s; server log: %s",
		s.paths.logFile, err, oneLine(out), tailFile(s.paths.logFile, 10))
}

// stopQuietly stops a server that may or may not be running, ignoring errors.
func (s *Server) stopQuietly() {
	_, _ = s.run(context.Background(), "pg_ctl", "stop", "-D", s.paths.pgdata, "-m", "fast", "-w", "-t", startTimeout)
}

// serverOptions is the postgres command line given to pg_ctl -o. pg_ctl
// passes it to /bin/sh, so every value is shell-quoted. The socket directory
// is also double-quoted for PostgreSQL's own list syntax, so that commas and
// spaces in it are kept.
func (s *Server) serverOptions() string {
	opts := []string{
		"-p", strconv.Itoa(socketPort),
		"-c", "listen_addresses=",
		"-c", `unix_socket_directories="` + s.paths.run + `"`,
	}
	quoted := make([]string, len(opts))
	for i, o := range opts {
		quoted[i] = shellQuote(o)
	}
	return strings.Join(quoted, " ")
}

// shellQuote quotes s as one /bin/sh word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
