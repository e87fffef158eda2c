package pg

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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

// cell formats one value for CSV: times in RFC 3339, NULL as empty, text
// defused (safeText).
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return safeText(string(x))
	case string:
		return safeText(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return safeText(fmt.Sprint(v))
}

// safeText keeps a spreadsheet from running text as a formula (CSV
// injection): text that starts with =, +, -, @, a tab or a carriage return
// gets a leading single quote, as OWASP recommends; spreadsheets show the
// rest as typed. Only text is changed: a number from a numeric column, such
// as a negative longitude, is written by cell as it is, since a number
// cannot carry a formula and must stay a number for the reader. Text that
// merely looks like a number ("-5" in a name) is defused too: we cannot tell
// it from the start of a formula such as -5+cmd|…
func safeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
