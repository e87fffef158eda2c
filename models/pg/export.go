package pg

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// Export streams the rows of r that s may see, filtered and sorted by q, as
// text cells of the SQL columns cols, one row at a time, so that exports of
// any size never sit in memory. start is called once the query has run and
// before the first row, so that a query error can still be answered as such.
func Export(ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource, q models.ListQuery,
	cols []string, start func(), emit func([]string) error) error {
	rows, err := applyOrder(applyFilters(scoped(ctx, db, s, r), q.Filters), q).Select(cols).Rows()
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	record := make([]string, len(cols))
	more := rows.Next()
	if !more && rows.Err() != nil {
		return mapError(rows.Err())
	}
	start()
	for ; more; more = rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return mapError(err)
		}
		for i, v := range vals {
			record[i] = cell(v)
		}
		if err := emit(record); err != nil {
			return err
		}
	}
	return mapError(rows.Err())
}

// cell formats one value for CSV: times in RFC 3339, NULL as empty.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return string(x)
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
