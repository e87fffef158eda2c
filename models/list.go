package models

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// List limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	maxFilters   = 20
)

// Filter is one where[col][op]=value condition.
type Filter struct {
	Column string // SQL column, from the resource's allow-list
	Op     string // eq ne lt lte gt gte like in null
	Value  string
}

// ListQuery is a parsed list request: paging, sorting and filters.
type ListQuery struct {
	Limit   int
	Skip    int
	Sort    string // SQL column, from the allow-list
	Desc    bool
	Filters []Filter
}

var filterOps = []string{"eq", "ne", "lt", "lte", "gt", "gte", "like", "in", "null"}

var whereKey = regexp.MustCompile(`^where\[([^\[\]]*)\]\[([^\[\]]*)\]$`)

// Columns is a resource's allow-list of list columns: JSON name → SQL column.
type Columns map[string]string

// NewColumns builds an allow-list from JSON names; the SQL column of each is
// its snake_case form.
func NewColumns(names ...string) Columns {
	c := Columns{}
	for _, n := range names {
		c[n] = SnakeCase(n)
	}
	return c
}

// SnakeCase turns a camelCase JSON name into its snake_case column name.
func SnakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CamelCase turns a snake_case column name into its camelCase JSON name, the
// inverse of SnakeCase.
func CamelCase(s string) string {
	var b strings.Builder
	upper := false
	for _, r := range s {
		switch {
		case r == '_':
			upper = b.Len() > 0
		case upper:
			b.WriteRune(unicode.ToUpper(r))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseListQuery reads limit, skip, sort and where[col][op] from v. Columns
// and operators outside the allow-list are EINVALID; values are kept as text
// and only ever reach SQL as bound parameters.
func ParseListQuery(v url.Values, cols Columns) (ListQuery, error) {
	q := ListQuery{Limit: DefaultLimit}
	var err error
	if q.Limit, err = intParam(v, "limit", DefaultLimit, 0, MaxLimit); err != nil {
		return q, err
	}
	if q.Skip, err = intParam(v, "skip", 0, 0, 1<<31-1); err != nil {
		return q, err
	}
	if err = q.parseSort(v.Get("sort"), cols); err != nil {
		return q, err
	}
	return q, q.parseFilters(v, cols)
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, FieldError(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

func (q *ListQuery) parseSort(s string, cols Columns) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	name, dir, _ := strings.Cut(s, " ")
	if strings.HasPrefix(name, "-") {
		name, dir = name[1:], "desc"
	}
	col, ok := cols[name]
	if !ok {
		return FieldError("sort", "cannot sort by %q; allowed: %s", name, cols.names())
	}
	switch strings.ToLower(strings.TrimSpace(dir)) {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		return FieldError("sort", "direction must be asc or desc")
	}
	q.Sort = col
	return nil
}

func (q *ListQuery) parseFilters(v url.Values, cols Columns) error {
	keys := make([]string, 0, len(v))
	for k := range v {
		if strings.HasPrefix(k, "where") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) > maxFilters {
		return FieldError("where", "at most %d filters", maxFilters)
	}
	for _, k := range keys {
		f, err := parseFilter(k, v[k], cols)
		if err != nil {
			return err
		}
		q.Filters = append(q.Filters, f...)
	}
	// A key may repeat (where[id][gt]=1&where[id][gt]=5), so the filters
	// are counted too: each is a condition the database must evaluate.
	if len(q.Filters) > maxFilters {
		return FieldError("where", "at most %d filters", maxFilters)
	}
	return nil
}

func parseFilter(key string, values []string, cols Columns) ([]Filter, error) {
	m := whereKey.FindStringSubmatch(key)
	if m == nil {
		return nil, FieldError(key, "filters are written where[column][op]=value")
	}
	col, ok := cols[m[1]]
	if !ok {
		return nil, FieldError(key, "cannot filter on %q; allowed: %s", m[1], cols.names())
	}
	if !slices.Contains(filterOps, m[2]) {
		return nil, FieldError(key, "unknown operator %q; allowed: %s", m[2], strings.Join(filterOps, " "))
	}
	out := make([]Filter, 0, len(values))
	for _, val := range values {
		if m[2] == "null" && val != "true" && val != "false" {
			return nil, FieldError(key, "null takes true or false")
		}
		out = append(out, Filter{Column: col, Op: m[2], Value: val})
	}
	return out, nil
}

func (c Columns) names() string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// Resource describes a tenant-owned table for the generic list, CRUD and
// export code.
type Resource struct {
	Name         string  // API path segment, e.g. "locations"
	Table        string  // SQL table
	TenantColumn string  // column holding the owning user group; "user_group" when empty
	Columns      Columns // filter, sort and export allow-list
}

// Tenant returns the column that holds the owning user group.
func (r *Resource) Tenant() string {
	if r.TenantColumn == "" {
		return "user_group"
	}
	return r.TenantColumn
}
