package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

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
