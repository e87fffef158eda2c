package models

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var testColumns = NewColumns("id", "name", "createdAt", "machineModel")

func TestNewColumnsSnakeCase(t *testing.T) {
	want := Columns{"id": "id", "name": "name", "createdAt": "created_at", "machineModel": "machine_model"}
	if !reflect.DeepEqual(testColumns, want) {
		t.Errorf("NewColumns = %v", testColumns)
	}
	for in, out := range map[string]string{"": "", "a": "a", "userGroup": "user_group", "externalRef": "external_ref",
		"URL": "u_r_l"} {
		if got := SnakeCase(in); got != out {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, out)
		}
		if got := CamelCase(out); got != in && in != "URL" {
			t.Errorf("CamelCase(%q) = %q, want %q", out, got, in)
		}
	}
}

func TestParseListQuery(t *testing.T) {
	cases := []struct {
		raw  string
		want ListQuery
	}{
		{"", ListQuery{Limit: DefaultLimit}},
		{"limit=0", ListQuery{Limit: 0}},
		{"limit=1000&skip=20", ListQuery{Limit: 1000, Skip: 20}},
		{"sort=name", ListQuery{Limit: 100, Sort: "name"}},
		{"sort=createdAt+desc", ListQuery{Limit: 100, Sort: "created_at", Desc: true}},
		{"sort=createdAt+DESC", ListQuery{Limit: 100, Sort: "created_at", Desc: true}},
		{"sort=createdAt+asc", ListQuery{Limit: 100, Sort: "created_at"}},
		{"sort=-name", ListQuery{Limit: 100, Sort: "name", Desc: true}},
		{"sort=+name+", ListQuery{Limit: 100, Sort: "name"}},
		{"where[name][eq]=x'+or+'1'='1", ListQuery{Limit: 100,
			Filters: []Filter{{Column: "name", Op: "eq", Value: "x' or '1'='1"}}}},
		{"where[machineModel][null]=true&where[id][in]=1,2", ListQuery{Limit: 100, Filters: []Filter{
			{Column: "id", Op: "in", Value: "1,2"}, {Column: "machine_model", Op: "null", Value: "true"}}}},
		{"where[id][gt]=1&where[id][gt]=5", ListQuery{Limit: 100, Filters: []Filter{
			{Column: "id", Op: "gt", Value: "1"}, {Column: "id", Op: "gt", Value: "5"}}}},
	}
	for _, c := range cases {
		v, err := url.ParseQuery(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseListQuery(v, testColumns)
		if err != nil {
			t.Errorf("%q: %v", c.raw, err)
			continue
		}
		if got.Filters == nil {
			got.Filters = c.want.Filters[:0:0]
		}
		if c.want.Filters == nil {
			c.want.Filters = got.Filters[:0:0]
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, want %+v", c.raw, got, c.want)
		}
	}
	// Every operator is accepted.
	for _, op := range []string{"eq", "ne", "lt", "lte", "gt", "gte", "like", "in", "null"} {
		val := "x"
		if op == "null" {
			val = "false"
		}
		q, err := ParseListQuery(url.Values{"where[name][" + op + "]": {val}}, testColumns)
		if err != nil || len(q.Filters) != 1 || q.Filters[0].Op != op {
			t.Errorf("op %s: %+v %v", op, q, err)
		}
	}
}

func TestParseListQueryRejects(t *testing.T) {
	tooMany := url.Values{}
	for _, c := range []string{"id", "name", "createdAt", "machineModel"} {
		for _, op := range []string{"eq", "ne", "lt", "lte", "gt", "gte"} {
			tooMany.Set("where["+c+"]["+op+"]", "1")
		}
	}
	cases := []struct {
		name  string
		v     url.Values
		field string
	}{
		{"unknown column", url.Values{"where[password][eq]": {"x"}}, "where[password][eq]"},
		{"sql column", url.Values{"where[created_at][eq]": {"x"}}, "where[created_at][eq]"},
		{"unknown op", url.Values{"where[name][regexp]": {"x"}}, "where[name][regexp]"},
		{"empty op", url.Values{"where[name][]": {"x"}}, "where[name][]"},
		{"null value", url.Values{"where[name][null]": {"yes"}}, "where[name][null]"},
		{"injection in column", url.Values{"where[name;drop table machines][eq]": {"x"}}, "where[name;drop table machines][eq]"},
		{"injection in column 2", url.Values{"where[name) or 1=1--][eq]": {"x"}}, "where[name) or 1=1--][eq]"},
		{"nested brackets", url.Values{"where[name[x]][eq]": {"x"}}, "where[name[x]][eq]"},
		{"trailing part", url.Values{"where[name][eq][x]": {"x"}}, "where[name][eq][x]"},
		{"no op", url.Values{"where[name]": {"x"}}, "where[name]"},
		{"sort injection", url.Values{"sort": {"name;drop table x"}}, "sort"},
		{"sort expression", url.Values{"sort": {"(select 1)"}}, "sort"},
		{"sort direction", url.Values{"sort": {"name up"}}, "sort"},
		{"sort direction injection", url.Values{"sort": {"name desc; drop table x"}}, "sort"},
		{"limit high", url.Values{"limit": {"1001"}}, "limit"},
		{"limit negative", url.Values{"limit": {"-1"}}, "limit"},
		{"limit text", url.Values{"limit": {"all"}}, "limit"},
		{"limit float", url.Values{"limit": {"1.5"}}, "limit"},
		{"skip negative", url.Values{"skip": {"-5"}}, "skip"},
		{"skip overflow", url.Values{"skip": {"99999999999999999999"}}, "skip"},
		{"too many filters", tooMany, "where"},
	}
	for _, c := range cases {
		_, err := ParseListQuery(c.v, testColumns)
		if err == nil || CodeOf(err) != EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", c.name, err)
			continue
		}
		e := err.(*Error)
		if e.Fields[c.field] == "" {
			t.Errorf("%s: fields %v do not name %q", c.name, e.Fields, c.field)
		}
		if strings.Contains(e.Message, "drop table") && !strings.Contains(e.Message, "\"") {
			t.Errorf("%s: message echoes input unquoted: %q", c.name, e.Message)
		}
	}
}

func TestIDList(t *testing.T) {
	v, err := IDList{1, 22, 333}.Value()
	if err != nil || v != "{1,22,333}" {
		t.Errorf("Value = %v, %v", v, err)
	}
	if v, _ := (IDList{}).Value(); v != "{}" {
		t.Errorf("empty Value = %v", v)
	}
	for _, c := range []struct {
		src  any
		want IDList
	}{{nil, IDList{}}, {"{}", IDList{}}, {"{7}", IDList{7}}, {[]byte("{1,2}"), IDList{1, 2}}} {
		var l IDList
		if err := l.Scan(c.src); err != nil || !reflect.DeepEqual(l, c.want) {
			t.Errorf("Scan(%v) = %v, %v", c.src, l, err)
		}
	}
	var l IDList
	if err := l.Scan("{1,x}"); err == nil {
		t.Errorf("Scan of junk: no error")
	}
	if err := l.Scan(42); err == nil {
		t.Errorf("Scan of int: no error")
	}
}

func TestErrors(t *testing.T) {
	e := FieldError("name", "is %s", "required")
	if e.Code != EINVALID || e.Message != "name: is required" || e.Fields["name"] != "is required" {
		t.Errorf("FieldError = %+v", e)
	}
	if CodeOf(nil) != "" || CodeOf(e) != EINVALID || CodeOf(errString("boom")) != EINTERNAL {
		t.Errorf("CodeOf")
	}
	if MessageOf(errString("secret detail")) != "Internal error." {
		t.Errorf("MessageOf leaks internal errors")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
