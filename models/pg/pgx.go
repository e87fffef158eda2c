package pg

import (
	"context"
	"fmt"
	"regexp"
	"slices"

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

// NamedSQL is a statement written with @name placeholders, rewritten to
// positional ones once, when it is made: pgx.NamedArgs parses the SQL again
// on every call (~40 µs for the spend group's statement), which the device
// hot path cannot spare, while positional arguments are easy to swap by
// mistake. Args checks the names like pgx.StrictNamedArgs.
type NamedSQL struct {
	SQL   string   // the statement with $1, $2, …
	names []string // the name of each $n
}

var placeholder = regexp.MustCompile(`@([A-Za-z_][A-Za-z0-9_]*)`)

// Named rewrites sql's @name placeholders to positional ones (as pgx's
// named arguments do: a name used twice is one argument). It panics on SQL
// pgx cannot rewrite: statements are package constants.
func Named(sql string) NamedSQL {
	args := pgx.NamedArgs{}
	for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
		args[m[1]] = m[1]
	}
	q, order, err := args.RewriteQuery(context.Background(), nil, sql, nil)
	if err != nil {
		panic(fmt.Sprintf("pg: named statement: %v", err))
	}
	n := NamedSQL{SQL: q}
	for _, o := range order {
		n.names = append(n.names, o.(string))
	}
	return n
}

// Args returns the values of a in the statement's order. A name the
// statement uses that a lacks, or one a has that it does not use, is an
// error.
func (n NamedSQL) Args(a map[string]any) ([]any, error) {
	if len(a) != len(n.names) {
		for name := range a {
			if !slices.Contains(n.names, name) {
				return nil, fmt.Errorf("pg: argument %q is not used by the statement", name)
			}
		}
	}
	out := make([]any, len(n.names))
	for i, name := range n.names {
		v, ok := a[name]
		if !ok {
			return nil, fmt.Errorf("pg: argument %q is missing", name)
		}
		out[i] = v
	}
	return out, nil
}
