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

// maxParams stays under PostgreSQL's limit of 65535 bind parameters per
// statement.
const maxParams = 65000

// insertRows inserts rows into table with multi-row INSERT statements, as
// few as the parameter limit allows, appending suffix (ON CONFLICT …,
// RETURNING …) to each; scan is called for every returned row. Values go
// to the driver as bound parameters.
func insertRows(ctx context.Context, tx *gorm.DB, table string, cols []string, rows [][]any,
	suffix string, scan func(*sql.Rows) error) error {
	per := max(1, maxParams/len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		if err := insertChunk(ctx, tx, table, cols, chunk, suffix, scan); err != nil {
			return err
		}
	}
	return nil
}

func insertChunk(ctx context.Context, tx *gorm.DB, table string, cols []string, rows [][]any,
	suffix string, scan func(*sql.Rows) error) error {
	query, args := valuesQuery(table, cols, rows)
	res, err := tx.Statement.ConnPool.QueryContext(ctx, query+" "+suffix, args...)
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

// valuesQuery builds INSERT INTO table (cols) VALUES ($1, …), (…) and its
// arguments.
func valuesQuery(table string, cols []string, rows [][]any) (string, []any) {
	var b strings.Builder
	b.Grow(len(rows) * len(cols) * 6)
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(rows)*len(cols))
	for i, row := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, v)
			b.WriteString("$" + strconv.Itoa(len(args)))
		}
		b.WriteByte(')')
	}
	return b.String(), args
}

// insertNew inserts items, skipping those already stored for the same
// (machine, remote), and returns the new ones with their ids. row gives an
// item's idempotency key and column values; the first of in-batch
// duplicates wins.
func insertNew[T any, P interface {
	*T
	Meta() *models.Base
}](ctx context.Context, tx *gorm.DB, table string, cols []string, items []T,
	row func(P) (machineRemote, []any)) ([]T, error) {
	rows := make([][]any, len(items))
	index := make(map[machineRemote]int, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		key, values := row(P(&items[i]))
		rows[i], index[key] = values, i
	}
	stored := make([]T, 0, len(items))
	err := insertRows(ctx, tx, table, cols, rows,
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
