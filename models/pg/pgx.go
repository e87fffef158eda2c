package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// WithConn runs fn on one pooled connection as a *pgx.Conn, for the hot
// paths that send pipelined batches and scan rows without gorm. A
// connection left inside a transaction or closed by fn is discarded by the
// pool.
func (db *DB) WithConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := db.SQL.Conn(ctx)
	if err != nil {
		return MapError(err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pg: the database driver is %T, not pgx", dc)
		}
		return fn(sc.Conn())
	})
}

// GenericBatch returns a batch whose statements run with generic plans:
// it starts with SET plan_cache_mode and the caller ends it with
// EndGeneric. The grouped statements of the hot paths take arrays, whose
// lengths make PostgreSQL plan them anew on every execution (measured: a
// third of its time under load) although the plan never changes. The batch
// is one implicit transaction, so the setting is undone also when a
// statement fails. SendGeneric skips the SET's result.
func GenericBatch() *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue("SET plan_cache_mode = force_generic_plan")
	return b
}

// EndGeneric ends a batch begun with GenericBatch.
func EndGeneric(b *pgx.Batch) { b.Queue("RESET plan_cache_mode") }

// SendGeneric sends a batch made with GenericBatch and EndGeneric and
// returns its results after the SET's.
func SendGeneric(ctx context.Context, c *pgx.Conn, b *pgx.Batch) (pgx.BatchResults, error) {
	br := c.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	return br, nil
}
