package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/web/webtest"
)

type listFixture struct {
	h     *webtest.Harness
	token string
	locs  map[string]int64 // name → id
}

// newListFixture makes five locations (names alpha … echo; cities
// Amsterdam ×2, Berlin ×2, Cologne) and two machines, one with a model.
func newListFixture(t *testing.T) *listFixture {
	h := webtest.New(t)
	a := h.NewTenant("Lists", true)
	f := &listFixture{h: h, token: a.AccessToken, locs: map[string]int64{}}
	for i, n := range []string{"charlie", "alpha", "echo", "bravo", "delta"} {
		body := webtest.LocationBody(n)
		body["city"] = []string{"Amsterdam", "Berlin", "Cologne", "Amsterdam", "Berlin"}[i]
		body["externalRef"] = fmt.Sprintf("ext-%d", i)
		f.locs[n] = h.MustCreate(a.AccessToken, "/api/v1/locations", body)
	}
	fl := h.MakeFleet(a.AccessToken, "lists-")
	h.MustCreate(a.AccessToken, "/api/v1/machines", map[string]any{"name": "bare", "hostname": "bare-host",
		"location": f.locs["alpha"], "active": false})
	_ = fl
	// Some other tenant's rows, which no list here may show.
	b := h.NewTenant("Others", true)
	h.MustCreate(b.AccessToken, "/api/v1/locations", webtest.LocationBody("alpha"))
	return f
}

// list GETs path with q and returns the names of the items and the total.
func (f *listFixture) list(t *testing.T, path string, q url.Values) ([]string, int) {
	t.Helper()
	r := f.h.Get(path+"?"+q.Encode(), f.token)
	r.Expect(t, http.StatusOK)
	var items []struct {
		Name string `json:"name"`
	}
	r.Decode(t, &items)
	total, err := strconv.Atoi(r.Header.Get("X-Total-Count"))
	if err != nil {
		t.Fatalf("X-Total-Count %q", r.Header.Get("X-Total-Count"))
	}
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.Name
	}
	return names, total
}

func TestListPagingAndSorting(t *testing.T) {
	t.Parallel()
	f := newListFixture(t)
	// The fixture's MakeFleet added one more location: filter to ours.
	mine := url.Values{"where[name][in]": {"alpha,bravo,charlie,delta,echo"}}
	with := func(kv ...string) url.Values {
		q := url.Values{}
		for k, v := range mine {
			q[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	cases := []struct {
		q     url.Values
		names []string
		total int
	}{
		{with(), []string{"charlie", "alpha", "echo", "bravo", "delta"}, 5}, // by id
		{with("limit", "2"), []string{"charlie", "alpha"}, 5},
		{with("limit", "2", "skip", "2"), []string{"echo", "bravo"}, 5},
		{with("skip", "4"), []string{"delta"}, 5},
		{with("skip", "10"), []string{}, 5},
		{with("limit", "0"), []string{}, 5},
		{with("sort", "name"), []string{"alpha", "bravo", "charlie", "delta", "echo"}, 5},
		{with("sort", "name asc"), []string{"alpha", "bravo", "charlie", "delta", "echo"}, 5},
		{with("sort", "name desc"), []string{"echo", "delta", "charlie", "bravo", "alpha"}, 5},
		{with("sort", "-name"), []string{"echo", "delta", "charlie", "bravo", "alpha"}, 5},
		{with("sort", "name DESC", "limit", "2", "skip", "1"), []string{"delta", "charlie"}, 5},
		// Ties on city are broken by id, in the direction asked.
		{with("sort", "city"), []string{"charlie", "bravo", "alpha", "delta", "echo"}, 5},
		{with("sort", "city desc"), []string{"echo", "delta", "alpha", "bravo", "charlie"}, 5},
	}
	for _, c := range cases {
		names, total := f.list(t, "/api/v1/locations", c.q)
		if !slices.Equal(names, c.names) || total != c.total {
			t.Errorf("%s: %v total %d, want %v total %d", c.q.Encode(), names, total, c.names, c.total)
		}
	}
}

func TestListOperators(t *testing.T) {
	t.Parallel()
	f := newListFixture(t)
	id := func(n string) string { return strconv.FormatInt(f.locs[n], 10) }
	sorted := url.Values{"sort": {"name"}, "where[name][in]": {"alpha,bravo,charlie,delta,echo"}}
	cases := []struct {
		key, value string
		want       []string
	}{
		{"where[name][eq]", "bravo", []string{"bravo"}},
		{"where[name][ne]", "bravo", []string{"alpha", "charlie", "delta", "echo"}},
		{"where[id][lt]", id("echo"), []string{"alpha", "charlie"}},
		{"where[id][lte]", id("echo"), []string{"alpha", "charlie", "echo"}},
		{"where[id][gt]", id("echo"), []string{"bravo", "delta"}},
		{"where[id][gte]", id("echo"), []string{"bravo", "delta", "echo"}},
		{"where[name][lt]", "charlie", []string{"alpha", "bravo"}},
		{"where[city][like]", "%ERL%", []string{"alpha", "delta"}},
		{"where[name][like]", "_lpha", []string{"alpha"}},
		{"where[city][in]", "Amsterdam,Cologne", []string{"bravo", "charlie", "echo"}},
		{"where[id][in]", id("alpha") + "," + id("delta"), []string{"alpha", "delta"}},
		{"where[externalRef][eq]", "ext-4", []string{"delta"}},
		{"where[createdAt][gte]", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), []string{"alpha", "bravo", "charlie", "delta", "echo"}},
		{"where[createdAt][lt]", "2000-01-01T00:00:00Z", []string{}},
		// Values are data, never SQL.
		{"where[name][eq]", "x' or '1'='1", []string{}},
		{"where[name][eq]", "alpha' --", []string{}},
		{"where[city][in]", "Amsterdam') or ('1'='1", []string{}},
		{"where[name][like]", "%' or 1=1 --", []string{}},
	}
	for _, c := range cases {
		q := url.Values{}
		for k, v := range sorted {
			q[k] = v
		}
		q.Add(c.key, c.value)
		names, total := f.list(t, "/api/v1/locations", q)
		if !slices.Equal(names, c.want) || total != len(c.want) {
			t.Errorf("%s=%s: %v (total %d), want %v", c.key, c.value, names, total, c.want)
		}
	}

	// null on a nullable column: the machine made by MakeFleet has a model,
	// "bare" has none.
	names, _ := f.list(t, "/api/v1/machines", url.Values{"where[machineModel][null]": {"true"}})
	if !slices.Equal(names, []string{"bare"}) {
		t.Errorf("machineModel null: %v", names)
	}
	names, _ = f.list(t, "/api/v1/machines", url.Values{"where[machineModel][null]": {"false"}})
	if len(names) != 1 || names[0] == "bare" {
		t.Errorf("machineModel not null: %v", names)
	}
	names, _ = f.list(t, "/api/v1/machines", url.Values{"where[active][eq]": {"false"}})
	if !slices.Equal(names, []string{"bare"}) {
		t.Errorf("active eq false: %v", names)
	}
	// Two filters are AND'ed.
	names, _ = f.list(t, "/api/v1/locations", url.Values{"where[city][eq]": {"Berlin"}, "where[name][ne]": {"alpha"}})
	if !slices.Equal(names, []string{"delta"}) {
		t.Errorf("city=Berlin and name<>alpha: %v", names)
	}
}

func TestListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	f := newListFixture(t)
	h := f.h
	bad := []struct{ name, rawQuery, field string }{
		{"unknown column", "where[password][eq]=x", "where[password][eq]"},
		{"unknown op", "where[name][regex]=x", "where[name][regex]"},
		{"op in SQL", "where[name][%3D]=x", "where[name][=]"},
		{"null takes a bool", "where[name][null]=maybe", "where[name][null]"},
		{"bare where", "where=x", "where"},
		{"where without op", "where[name]=x", "where[name]"},
		{"injection in column", "where[name%3Bdrop%20table%20machines][eq]=x", ""},
		{"injection in column 2", "where[name)%20or%201%3D1--][eq]=x", ""},
		{"injection in column 3", "where[user_group][eq]=1", ""},
		{"sql column name", "where[created_at][gt]=2000-01-01", ""},
		{"injection in sort", "sort=name%3Bdrop%20table%20x", "sort"},
		{"injection in sort 2", "sort=name%20desc%3B%20drop%20table%20machines", "sort"},
		{"sort by unknown", "sort=password", "sort"},
		{"sort by sql expression", "sort=(select%201)", "sort"},
		{"bad direction", "sort=name%20sideways", "sort"},
		{"limit too big", "limit=1001", "limit"},
		{"negative limit", "limit=-1", "limit"},
		{"limit not a number", "limit=ten", "limit"},
		{"negative skip", "skip=-1", "skip"},
		{"huge skip", "skip=99999999999999999999", "skip"},
		{"malformed escape", "where[name][eq]=%zz", ""},
		{"semicolon separator", "limit=1;skip=2", ""},
		{"id not a number", "where[id][eq]=abc", ""},
		{"id out of range", "where[id][eq]=99999999999999999999", ""},
		{"time not a time", "where[createdAt][gt]=not-a-time", ""},
		{"bool not a bool", "where[active][eq]=maybe", ""},
	}
	for _, c := range bad {
		path := "/api/v1/locations"
		if strings.Contains(c.rawQuery, "active") {
			path = "/api/v1/machines"
		}
		r := h.Get(path+"?"+c.rawQuery, f.token)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s (%s): %s, want 400", c.name, c.rawQuery, r)
			continue
		}
		e := r.ExpectError(t, http.StatusBadRequest, "invalid")
		if c.field != "" && e.Fields[c.field] == "" {
			t.Errorf("%s: error %+v does not name %q", c.name, e, c.field)
		}
	}
	// More than twenty filters are too many.
	ops := []string{"eq", "ne", "lt", "lte", "gt", "gte", "like", "in", "null"}
	q := url.Values{}
	for _, col := range []string{"name", "city", "country"} {
		for _, op := range ops {
			v := "x"
			if op == "null" {
				v = "false"
			}
			q.Set("where["+col+"]["+op+"]", v)
		}
	}
	h.Get("/api/v1/locations?"+q.Encode(), f.token).ExpectError(t, http.StatusBadRequest, "invalid")

	// in compares as text: junk in the list matches nothing and is no error.
	names, total := f.list(t, "/api/v1/locations", url.Values{"where[id][in]": {id1(f) + ",abc,' or 1=1 --"}})
	if !slices.Equal(names, []string{"charlie"}) {
		t.Errorf("id in (charlie, junk): %v", names)
	}

	// The tables are all still there, with their rows.
	for _, table := range []string{"machines", "locations"} {
		var reg *string
		h.DB.Raw("SELECT to_regclass(?)::text", table).Scan(&reg)
		if reg == nil {
			t.Errorf("table %s: to_regclass = %v", table, reg)
		}
	}
	names, total = f.list(t, "/api/v1/locations", url.Values{})
	if total != 6 || len(names) != 6 {
		t.Errorf("locations after the attempts: %v (total %d), want 6", names, total)
	}
}

func id1(f *listFixture) string { return strconv.FormatInt(f.locs["charlie"], 10) }

func TestExportCSV(t *testing.T) {
	t.Parallel()
	f := newListFixture(t)
	h := f.h
	q := url.Values{"columns[]": {"id", "name", "city"}, "where[city][in]": {"Amsterdam,Berlin"},
		"sort": {"name desc"}}
	r := h.Get("/api/v1/locations/export?"+q.Encode(), f.token).Expect(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "locations.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"id", "name", "city"}}
	for _, n := range []string{"delta", "charlie", "bravo", "alpha"} {
		city := map[string]string{"delta": "Berlin", "charlie": "Amsterdam", "bravo": "Amsterdam", "alpha": "Berlin"}[n]
		want = append(want, []string{strconv.FormatInt(f.locs[n], 10), n, city})
	}
	// MakeFleet's location is in Amsterdam too.
	if len(rows) != 6 || !slices.Equal(rows[0], want[0]) {
		t.Fatalf("export = %v", rows)
	}
	rows = slices.DeleteFunc(rows, func(r []string) bool { return strings.HasPrefix(r[1], "lists-") })
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %v, want %v", i, rows[i], want[i])
		}
	}

	// All columns by default, in name order, with times in RFC 3339.
	r = h.Get("/api/v1/locations/export?where[name][eq]=alpha", f.token).Expect(t, http.StatusOK)
	rows, err = csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export = %v %v", rows, err)
	}
	if !slices.IsSorted(rows[0]) || !slices.Contains(rows[0], "createdAt") {
		t.Errorf("default columns %v", rows[0])
	}
	at := rows[1][slices.Index(rows[0], "createdAt")]
	if _, err := time.Parse(time.RFC3339, at); err != nil {
		t.Errorf("createdAt %q is not RFC 3339", at)
	}

	for _, raw := range []string{"columns[]=id&columns[]=password_hash", "columns[]=name%3Bdrop", "columns[]=user_group",
		"where[nope][eq]=1", "sort=nope", "limit=5000"} {
		r := h.Get("/api/v1/locations/export?"+raw, f.token)
		r.ExpectError(t, http.StatusBadRequest, "invalid")
	}
	if e := h.Get("/api/v1/users/export?columns[]=passwordHash", f.token).ExpectError(t, http.StatusBadRequest, "invalid"); e.Fields["columns"] == "" {
		t.Errorf("unknown export column: %+v does not name columns", e)
	}
	// A bad value cannot turn into a 500 or a half-written 200 either.
	t.Run("bad filter value", func(t *testing.T) {
		r := h.Get("/api/v1/locations/export?where[id][eq]=abc", f.token)
		r.ExpectError(t, http.StatusBadRequest, "invalid")
	})
}
