// Package pgtest gives tests fresh, migrated PostgreSQL databases on the
// server in DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
//
// A package calls Main from its TestMain; each MustOpenDB then clones a
// migrated template database, and every database made is dropped at the end.
// There is no skipping: without a server the tests fail, and scripts/test
// makes sure there is one.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models/pg"
)

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// ServerURL returns the URL of the test server.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Main runs the package's tests and drops the template database after.
func Main(m *testing.M) {
	code := m.Run()
	if templateName != "" {
		_ = exec(context.Background(), "DROP DATABASE IF EXISTS "+templateName+" WITH (FORCE)")
	}
	os.Exit(code)
}

// MustOpenDB returns a connection to a fresh, migrated database that is
// dropped when tb ends.
func MustOpenDB(tb testing.TB) *pg.DB {
	tb.Helper()
	url, drop, err := NewDatabase(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	db, err := pg.Open(context.Background(), url)
	if err != nil {
		drop()
		tb.Fatalf("pgtest: %v", err)
	}
	// Test packages run side by side on one server with a limit of 100
	// connections; 20 per database is plenty for the concurrency tests.
	db.SQL.SetMaxOpenConns(20)
	tb.Cleanup(func() {
		db.Close()
		drop()
	})
	return db
}

// NewDatabase creates a fresh migrated database and returns its URL and a
// function that drops it.
func NewDatabase(ctx context.Context) (string, func(), error) {
	templateOnce.Do(func() { templateName, templateErr = makeTemplate(ctx) })
	if templateErr != nil {
		return "", nil, templateErr
	}
	name := "vendrule_t_" + randomSuffix()
	if err := exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		return "", nil, err
	}
	drop := func() { _ = exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") }
	return withDatabase(name), drop, nil
}

// EmptyDatabase creates a fresh database without migrations, for the
// migration tests, and returns its URL and a function that drops it.
func EmptyDatabase(ctx context.Context) (string, func(), error) {
	name := "vendrule_e_" + randomSuffix()
	if err := exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	drop := func() { _ = exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") }
	return withDatabase(name), drop, nil
}

func makeTemplate(ctx context.Context) (string, error) {
	name := "vendrule_tmpl_" + randomSuffix()
	if err := exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	db, err := pg.Open(ctx, withDatabase(name))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return "", err
	}
	return name, nil
}

func exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return fmt.Errorf("no PostgreSQL at DATABASE_URL (run the tests with scripts/test): %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func withDatabase(name string) string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
