package models

import (
	"errors"
	"net/url"
	"slices"
	"testing"
)

// FuzzParseListQuery feeds raw query strings to the list query parser. It
// must never panic; an error must be a coded EINVALID; and whatever it
// accepts may only name allow-listed SQL columns and known operators, within
// the paging limits, since columns and operators are written into SQL.
//
//	go test -run '^$' -fuzz '^FuzzParseListQuery$' -fuzztime 5s ./models/
func FuzzParseListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "limit=0", "limit=1000&skip=20", "sort=name", "sort=createdAt+desc", "sort=-name", "sort=+name+",
		"where[name][eq]=x'+or+'1'='1", "where[machineModel][null]=true&where[id][in]=1,2",
		"where[id][gt]=1&where[id][gt]=5", "where[created_at][eq]=x", "where[name;drop+table+x][eq]=1",
		"where[name)+or+1%3D1--][eq]=x", "where[name][%3D]=x", "where[name[x]][eq]=x", "where[name][eq][x]=x",
		"where=x", "whereabouts=1", "sort=(select+1)", "sort=name+desc%3B+drop+table+x", "limit=1001",
		"skip=99999999999999999999", "limit=-1", "where[name][null]=maybe", "sort=-", "sort=+desc", "%zz",
		"where[id][eq]=1&where[id][eq]=2&where[id][eq]=3&where[id][eq]=4&where[id][eq]=5&where[id][eq]=6" +
			"&where[id][eq]=7&where[id][eq]=8&where[id][eq]=9&where[id][eq]=10&where[id][eq]=11&where[id][eq]=12" +
			"&where[id][eq]=13&where[id][eq]=14&where[id][eq]=15&where[id][eq]=16&where[id][eq]=17" +
			"&where[id][eq]=18&where[id][eq]=19&where[id][eq]=20&where[id][eq]=21",
	} {
		f.Add(seed)
	}
	sqlCols := make([]string, 0, len(testColumns))
	for _, c := range testColumns {
		sqlCols = append(sqlCols, c)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // keeps what it could parse, as net/http does
		q, err := ParseListQuery(v, testColumns)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("%q: error %#v is not EINVALID", raw, err)
			}
			return
		}
		checkAccepted(t, raw, q, sqlCols)
	})
}

// checkAccepted fails t unless q stays inside the allow-lists and limits.
func checkAccepted(t *testing.T, raw string, q ListQuery, sqlCols []string) {
	t.Helper()
	if q.Limit < 0 || q.Limit > MaxLimit || q.Skip < 0 || q.Skip > 1<<31-1 {
		t.Fatalf("%q: paging out of bounds: %+v", raw, q)
	}
	if q.Sort != "" && !slices.Contains(sqlCols, q.Sort) {
		t.Fatalf("%q: sorts by %q, not an allow-listed column", raw, q.Sort)
	}
	if len(q.Filters) > maxFilters {
		t.Fatalf("%q: %d filters, at most %d", raw, len(q.Filters), maxFilters)
	}
	for _, fl := range q.Filters {
		switch {
		case !slices.Contains(sqlCols, fl.Column):
			t.Fatalf("%q: filters on %q, not an allow-listed column", raw, fl.Column)
		case !slices.Contains(filterOps, fl.Op):
			t.Fatalf("%q: operator %q is not allowed", raw, fl.Op)
		case fl.Op == "null" && fl.Value != "true" && fl.Value != "false":
			t.Fatalf("%q: null filter with value %q", raw, fl.Value)
		}
	}
}
