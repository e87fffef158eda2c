// Package pg stores vendrule's data in PostgreSQL with gorm. Every query of a
// tenant-owned resource goes through Tenant, so that nobody sees another
// tenant's rows.
package pg

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/vendrule/vendrule/migrations"
)

// DB is the database handle shared by the stores.
type DB struct {
	*gorm.DB
	SQL *sql.DB
	// Hot is a small pgx pool for the device hot path (WithConn), whose
	// connections run with generic plans; nil uses SQL's connections.
	Hot *pgxpool.Pool
}

// HotConns is the size of the hot path's pool: its statement groups run one
// at a time each (engine/batch), so a handful of connections serve any load.
const HotConns = 8

// Open connects to the PostgreSQL server at url and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	g, err := gorm.Open(postgres.Open(url), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         false,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB.SetMaxOpenConns(40)
	sqlDB.SetMaxIdleConns(40)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	hot, err := openHot(url)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return &DB{DB: g, SQL: sqlDB, Hot: hot}, nil
}

// openHot opens the hot path's pool. Its statements take arrays (unnest),
// and with plan_cache_mode auto PostgreSQL plans each execution anew for
// the arrays' lengths (a third of its CPU under device load, measured)
// although the plan never changes; their lookups are written so that every
// row is found by its index whatever the plan estimates.
func openHot(url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	cfg.MaxConns = HotConns
	cfg.MaxConnIdleTime = 5 * time.Minute
	// A generic plan is made once per connection, from the tables' sizes
	// at that time; autovacuum's ANALYZE makes PostgreSQL plan again, but
	// where it is off (or has not run yet on a young table) only a new
	// connection does. Renewing the connections every minute bounds how
	// long a plan made for a small table can serve a big one.
	cfg.MaxConnLifetime = time.Minute
	cfg.MaxConnLifetimeJitter = 10 * time.Second
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	cfg.ConnConfig.RuntimeParams["enable_seqscan"] = "off"
	hot, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return hot, nil
}

// Close closes the connection pools.
func (db *DB) Close() error {
	if db.Hot != nil {
		db.Hot.Close()
	}
	return db.SQL.Close()
}

// Migrations returns a goose provider over the embedded migrations. A session
// lock keeps replicas that start together from migrating at once.
func (db *DB) Migrations() (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.SQL, migrations.FS,
		goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.Migrations()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	for _, r := range results {
		slog.Info("migration applied", "version", r.Source.Version, "path", r.Source.Path)
	}
	return nil
}

// Current reports whether every embedded migration is applied.
func (db *DB) Current(ctx context.Context) (bool, error) {
	p, err := db.Migrations()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	return !pending, err
}

// Tx runs fn in a transaction.
func (db *DB) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return mapError(db.WithContext(ctx).Transaction(fn))
}

// Query runs a statement written with PostgreSQL's own $n placeholders on
// db's connection or transaction, its arguments passed to the driver as
// they are (gorm would expand slices), and returns the rows. It is how the
// engine packages reach the database beside gorm's builder and Raw.
func Query(ctx context.Context, db *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	return db.Statement.ConnPool.QueryContext(ctx, query, args...)
}

// Exec is Query for a statement without rows.
func Exec(ctx context.Context, db *gorm.DB, query string, args ...any) (sql.Result, error) {
	return db.Statement.ConnPool.ExecContext(ctx, query, args...)
}
