package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// column is one column of a multi-row insert: its name, its PostgreSQL
// type and the values of every row as one typed slice, sent as a single
// array parameter. However many rows, a statement then has one parameter
// per column: PostgreSQL parses and plans a short statement, and the
// driver encodes a few arrays instead of thousands of parameters.
type column struct {
	name   string
	typ    string // the element type: bigint, text, …
	values any    // []int64, []*int64, []string, []*string, []bool, []time.Time or []*time.Time
}

// unnestInsert returns INSERT INTO table (cols) SELECT * FROM unnest($1::t[], …)
// followed by suffix (ON CONFLICT …, RETURNING …), and its arguments.
func unnestInsert(table string, cols []column, suffix string) (string, []any) {
	var names, arrays strings.Builder
	args := make([]any, len(cols))
	for i, c := range cols {
		if i > 0 {
			names.WriteString(", ")
			arrays.WriteString(", ")
		}
		names.WriteString(c.name)
		arrays.WriteString("$" + strconv.Itoa(i+1) + "::" + c.typ + "[]")
		args[i] = c.values
	}
	return "INSERT INTO " + table + " (" + names.String() + ") SELECT * FROM unnest(" + arrays.String() + ") " +
		suffix, args
}

// insertUnnest runs unnestInsert and calls scan for every returned row.
func insertUnnest(ctx context.Context, tx *gorm.DB, table string, cols []column, suffix string,
	scan func(*sql.Rows) error) error {
	query, args := unnestInsert(table, cols, suffix)
	res, err := pg.Query(ctx, tx, query, args...)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, pg.MapError(err))
	}
	defer res.Close()
	for res.Next() {
		if err := scan(res); err != nil {
			return fmt.Errorf("insert into %s: %w", table, pg.MapError(err))
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("insert into %s: %w", table, pg.MapError(err))
	}
	return nil
}

// insertNew inserts items (whose columns are cols), skipping those already
// stored for the same (machine, remote), and returns the new ones with
// their ids. key gives an item's idempotency key; the first of in-batch
// duplicates wins.
func insertNew[T any, P interface {
	*T
	Meta() *models.Base
}](ctx context.Context, tx *gorm.DB, table string, cols []column, items []T,
	key func(P) machineRemote) ([]T, error) {
	index := make(map[machineRemote]int, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		index[key(P(&items[i]))] = i
	}
	stored := make([]T, 0, len(items))
	err := insertUnnest(ctx, tx, table, cols,
		"ON CONFLICT (machine, remote) DO NOTHING RETURNING id, machine, remote, created_at, updated_at",
		func(r *sql.Rows) error {
			var key machineRemote
			var created, updated time.Time
			var id int64
			if err := r.Scan(&id, &key.machine, &key.remote, &created, &updated); err != nil {
				return err
			}
			item := items[index[key]]
			meta := P(&item).Meta()
			meta.ID, meta.CreatedAt, meta.UpdatedAt = id, created, updated
			stored = append(stored, item)
			return nil
		})
	return stored, err
}
