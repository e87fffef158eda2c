package pg_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openEmpty(t *testing.T) *pg.DB {
	t.Helper()
	ctx := context.Background()
	url, drop, err := pgtest.EmptyDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := pg.Open(ctx, url)
	if err != nil {
		drop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		drop()
	})
	return db
}

// tables returns the tables, views, sequences and types of the public schema
// other than goose's own.
func tables(t *testing.T, db *pg.DB) []string {
	t.Helper()
	var names []string
	err := db.Raw(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
		  AND c.relname NOT LIKE 'goose_db_version%'
		UNION ALL
		SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
		ORDER BY 1`).Scan(&names).Error
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openEmpty(t)
	if current, err := db.Current(ctx); err != nil || current {
		t.Fatalf("empty database: current = %v, %v; want pending migrations", current, err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if current, err := db.Current(ctx); err != nil || !current {
		t.Fatalf("after up: current = %v, %v", current, err)
	}
	up := tables(t, db)
	for _, want := range []string{"users", "user_groups", "machines", "locations", "outbox", "opening_hour_sets"} {
		if !slices.Contains(up, want) {
			t.Errorf("table %s missing after up: %v", want, up)
		}
	}
	// Up again is a no-op.
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second up: %v", err)
	}

	p, err := db.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	results, err := p.DownTo(ctx, 0)
	if err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	if len(results) != len(p.ListSources()) {
		t.Errorf("rolled back %d of %d migrations", len(results), len(p.ListSources()))
	}
	if left := tables(t, db); len(left) != 0 {
		t.Errorf("down to 0 leaves %v", left)
	}
	if current, err := db.Current(ctx); err != nil || current {
		t.Errorf("after down: current = %v, %v", current, err)
	}

	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	if again := tables(t, db); !slices.Equal(again, up) {
		t.Errorf("up after down: %v, want %v", again, up)
	}
	// The seed rows of the migrations are there once.
	var langs int64
	db.Raw("SELECT count(*) FROM languages").Scan(&langs)
	if langs != 3 {
		t.Errorf("%d languages after up, down, up; want 3", langs)
	}
}

// Replicas that start together migrate once, one after the other.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openEmpty(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	var applied []int64
	db.Raw("SELECT version_id FROM goose_db_version WHERE version_id > 0 AND is_applied ORDER BY id").Scan(&applied)
	p, _ := db.Migrations()
	if len(applied) != len(p.ListSources()) {
		t.Errorf("versions applied: %v, want each of %d once", applied, len(p.ListSources()))
	}
}
