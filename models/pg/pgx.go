package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// WithConn runs fn on one connection of the hot path's pool (db.Hot, else
// of SQL's) as a *pgx.Conn, for the device hot path that sends pipelined
// batches and scans rows without gorm. A connection left inside a
// transaction or closed by fn is not reused.
func (db *DB) WithConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	if db.Hot != nil {
		c, err := db.Hot.Acquire(ctx)
		if err != nil {
			return MapError(err)
		}
		defer c.Release() // the pool drops a closed connection or one left in a transaction
		return fn(c.Conn())
	}
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
