package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/web"
	"github.com/vendrule/vendrule/web/webtest"
)

// onlyReader hides the length of r, so that the client sends it chunked.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Large", true)
	big := `{"name": "` + strings.Repeat("x", web.DefaultBodyLimit) + `", "address": "a", "postcode": "p", "city": "c", "country": "NL"}`

	// Declared length over the limit.
	h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/locations", Token: a.AccessToken, Body: big}).
		ExpectError(t, http.StatusRequestEntityTooLarge, "too_large")
	// Chunked, so that the limit is hit while reading.
	h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/locations", Token: a.AccessToken,
		Body: onlyReader{strings.NewReader(big)}}).
		ExpectError(t, http.StatusRequestEntityTooLarge, "too_large")
	// Before authentication too: a login cannot stream a huge body.
	h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/auth/login",
		Body: onlyReader{strings.NewReader(`{"username": "` + strings.Repeat("u", 2*web.DefaultBodyLimit) + `"}`)}}).
		ExpectError(t, http.StatusRequestEntityTooLarge, "too_large")

	// Just under the limit is fine.
	ok := `{"name": "` + strings.Repeat("x", web.DefaultBodyLimit-200) + `", "address": "a", "postcode": "p", "city": "c", "country": "NL"}`
	h.Do(webtest.Req{Method: http.MethodPost, Path: "/api/v1/locations", Token: a.AccessToken, Body: ok}).
		Expect(t, http.StatusCreated)
	var n int64
	h.DB.Raw("SELECT count(*) FROM locations").Scan(&n)
	if n != 1 {
		t.Errorf("%d locations stored, want 1", n)
	}
}

func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Bodies", true)
	f := h.MakeFleet(a.AccessToken, "bodies-")
	loc := f.IDs["locations"]

	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string // named in fields, when set
	}{
		{"malformed JSON", "POST", "/api/v1/locations", `{"name": "x",`, 400, ""},
		{"syntax error", "POST", "/api/v1/locations", `{"name" "x"}`, 400, ""},
		{"not JSON", "POST", "/api/v1/locations", `name=x`, 400, ""},
		{"empty body", "POST", "/api/v1/locations", ``, 400, ""},
		{"blank body", "POST", "/api/v1/locations", " \n\t", 400, ""},
		{"two values", "POST", "/api/v1/locations", `{"name": "x"} {"name": "y"}`, 400, ""},
		{"array for object", "POST", "/api/v1/locations", `[{"name": "x"}]`, 400, ""},
		{"string for object", "POST", "/api/v1/locations", `"x"`, 400, ""},
		{"wrong type string", "POST", "/api/v1/locations", `{"name": 5, "address": "a", "postcode": "p", "city": "c", "country": "NL"}`, 400, "name"},
		{"wrong type number", "POST", "/api/v1/machines", fmt.Sprintf(`{"name": "m", "hostname": "h", "location": "%d"}`, loc), 400, "location"},
		{"wrong type bool", "POST", "/api/v1/machines", fmt.Sprintf(`{"name": "m", "hostname": "h", "location": %d, "active": "yes"}`, loc), 400, "active"},
		{"wrong type list", "POST", "/api/v1/locationgroups", `{"name": "g", "locations": 5}`, 400, "locations"},
		{"wrong type in list", "POST", "/api/v1/locationgroups", `{"name": "g", "locations": ["a"]}`, 400, "locations"},
		{"float for id", "POST", "/api/v1/machines", fmt.Sprintf(`{"name": "m", "hostname": "h", "location": %d.5}`, loc), 400, "location"},
		{"id overflow", "POST", "/api/v1/machines", `{"name": "m", "hostname": "h", "location": 99999999999999999999}`, 400, "location"},
		{"huge id", "POST", "/api/v1/machines", `{"name": "m", "hostname": "h", "location": 9223372036854775807}`, 400, "location"},
		{"negative id", "POST", "/api/v1/machines", `{"name": "m", "hostname": "h", "location": -1}`, 400, "location"},
		{"unknown field", "POST", "/api/v1/locations", `{"name": "x", "address": "a", "postcode": "p", "city": "c", "country": "NL", "colour": "red"}`, 400, "colour"},
		{"unknown field on update", "PUT", fmt.Sprintf("/api/v1/locations/%d", loc), `{"colour": "red"}`, 400, "colour"},
		{"missing name", "POST", "/api/v1/machines", fmt.Sprintf(`{"hostname": "h", "location": %d}`, loc), 400, "name"},
		{"missing hostname", "POST", "/api/v1/machines", fmt.Sprintf(`{"name": "m", "location": %d}`, loc), 400, "hostname"},
		{"missing location", "POST", "/api/v1/machines", `{"name": "m", "hostname": "h"}`, 400, "location"},
		{"blank name", "POST", "/api/v1/machinetypes", `{"name": "   "}`, 400, "name"},
		{"missing everything", "POST", "/api/v1/errorcodes", `{}`, 400, "errorIdentity"},
		{"null body", "POST", "/api/v1/manufacturers", `null`, 400, "name"},
		{"bad currency", "POST", "/api/v1/machines", fmt.Sprintf(`{"name": "m", "hostname": "h", "location": %d, "currency": "euro"}`, loc), 400, "currency"},
		{"bad time zone", "POST", "/api/v1/locations", `{"name": "x", "address": "a", "postcode": "p", "city": "c", "country": "NL", "timeZone": "Mars/Olympus"}`, 400, "timeZone"},
		{"Local time zone", "POST", "/api/v1/locations", `{"name": "x", "address": "a", "postcode": "p", "city": "c", "country": "NL", "timeZone": "Local"}`, 400, "timeZone"},
		{"unknown reference", "POST", "/api/v1/machines", `{"name": "m", "hostname": "h", "location": 123456}`, 400, "location"},
		{"NUL in text", "POST", "/api/v1/machinetypes", `{"name": "a\u0000b"}`, 400, ""},
		{"bad email", "POST", "/api/v1/users", `{"username": "u", "email": "not an email"}`, 400, "email"},
		{"email with name", "POST", "/api/v1/users", `{"username": "u", "email": "U <u@example.test>"}`, 400, "email"},
		{"admin flag", "POST", "/api/v1/usergroups", `{"name": "g", "admin": 2}`, 400, "admin"},
		{"duplicate hostname", "POST", "/api/v1/machines", fmt.Sprintf(`{"name": "m", "hostname": %q, "location": %d}`, f.Hostname, loc), 409, ""},
		{"duplicate hostname on update", "PUT", fmt.Sprintf("/api/v1/machines/%d", f.IDs["machines"]), `{"hostname": "bodies-other"}`, 200, ""},
		{"delete a referenced location", "DELETE", fmt.Sprintf("/api/v1/locations/%d", loc), ``, 409, ""},
		{"hours not a list", "PUT", fmt.Sprintf("/api/v1/openinghours/machine/%d", f.IDs["machines"]), `{"day": 1}`, 400, ""},
		{"hours wrong type", "PUT", fmt.Sprintf("/api/v1/openinghours/machine/%d", f.IDs["machines"]), `[{"day": "monday", "startTime": "09:00:00", "endTime": "10:00:00"}]`, 400, "day"},
	}
	for _, c := range cases {
		var body any
		if c.body != "" || c.method == "POST" {
			body = c.body
		}
		r := h.Do(webtest.Req{Method: c.method, Path: c.path, Token: a.AccessToken, Body: body})
		if r.Status != c.status {
			t.Errorf("%s: %s, want %d", c.name, r, c.status)
			continue
		}
		if c.status < 300 {
			continue
		}
		code := map[int]string{400: "invalid", 409: "conflict"}[c.status]
		e := r.ExpectError(t, c.status, code)
		if c.field != "" && e.Fields[c.field] == "" {
			t.Errorf("%s: %+v does not name %q", c.name, e, c.field)
		}
	}
	// A second machine takes the first's new hostname: conflict, naming it.
	e := h.Post("/api/v1/machines", a.AccessToken, map[string]any{"name": "m2", "hostname": "bodies-other", "location": loc}).
		ExpectError(t, http.StatusConflict, "conflict")
	if !strings.Contains(e.Message, "hostname") {
		t.Errorf("conflict message %q does not name hostname", e.Message)
	}
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Routing", true)

	h.Get("/api/v1/no-such-thing", a.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
	h.Get("/no-such-page", "").ExpectError(t, http.StatusNotFound, "not_found")
	h.Do(webtest.Req{Method: http.MethodPatch, Path: "/api/v1/machines/1", Token: a.AccessToken, Body: "{}"}).
		ExpectError(t, http.StatusMethodNotAllowed, "method_not_allowed")
	h.Delete("/api/v1/machines", a.AccessToken).ExpectError(t, http.StatusMethodNotAllowed, "method_not_allowed")
	h.Do(webtest.Req{Method: http.MethodGet, Path: "/api/v1/auth/login"}).
		ExpectError(t, http.StatusMethodNotAllowed, "method_not_allowed")

	// A NUL in a path parameter is refused before any handler: 400 naming it.
	h.Get("/api/v1/machines/%00", a.AccessToken).ExpectError(t, http.StatusBadRequest, "invalid")
	h.Get("/api/v1/machines/%FF", a.AccessToken).ExpectError(t, http.StatusBadRequest, "invalid")
	for _, id := range []string{"abc", "0", "-1", "1.5", "1e3", "99999999999999999999", "9223372036854775807",
		"%27%20or%201%3D1"} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			r := h.Do(webtest.Req{Method: m, Path: "/api/v1/machines/" + id, Token: a.AccessToken, Body: "{}"})
			r.ExpectError(t, http.StatusNotFound, "not_found")
		}
		h.Get("/api/v1/machines/"+id+"/openinghours", a.AccessToken).ExpectError(t, http.StatusNotFound, "not_found")
		h.Post("/api/v1/machines/"+id+"/apikey", a.AccessToken, nil).ExpectError(t, http.StatusNotFound, "not_found")
		h.Put("/api/v1/openinghours/machine/"+id, a.AccessToken, []any{}).ExpectError(t, http.StatusNotFound, "not_found")
	}
	h.Put("/api/v1/openinghours/vendingmachine/1", a.AccessToken, []any{}).ExpectError(t, http.StatusNotFound, "not_found")
	h.Put("/api/v1/openinghours/machines/1", a.AccessToken, []any{}).ExpectError(t, http.StatusNotFound, "not_found")

	// Query values that would trip the database are 400, never 500.
	for _, q := range []string{"where[id][eq]=abc", "where[id][gte]=1e400", "where[name][eq]=%00",
		"where[createdAt][lt]=2026-13-45", "where[id][eq]=", "where[userGroup][lt]=x"} {
		h.Get("/api/v1/machines?"+q, a.AccessToken).ExpectError(t, http.StatusBadRequest, "invalid")
	}
}

// junkBodies are sent to every write route; none may answer 5xx.
var junkBodies = []string{
	``, `{`, `}`, `[]`, `[1, 2]`, `"x"`, `0`, `-1`, `true`, `null`, `{}`, `{"id": "x"}`, `{"id": -1}`,
	`{"userGroup": -1}`, `{"userGroup": 99999999999}`, `{"name": {"deep": [1, {"x": null}]}}`,
	`{"name": "` + strings.Repeat("ä", 5000) + `"}`, `{"name": "\ud800"}`, "{\"name\": \"\xff\xfe\"}",
	`{"parent": 0}`, `{"parent": -5}`, `{"language": 99999}`, `{"locations": [0, -1, 99999999999]}`,
	`[{"day": 1, "startTime": "24:00:00", "endTime": "25:00:00"}]`, `[{}]`, `[null]`,
}

// Every write route survives junk with a 4xx (or a success), never a 5xx.
func TestNoServerErrorsForJunk(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Junk", true)
	f := h.MakeFleet(a.AccessToken, "junk-")
	checked := 0
	for _, rt := range h.Router.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || (rt.Method != http.MethodPost && rt.Method != http.MethodPut) {
			continue
		}
		segs := strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/")
		for i, s := range segs {
			switch s {
			case ":id":
				res := segs[i-1]
				if res == ":resource" {
					res = "machines"
				}
				segs[i] = fmt.Sprint(f.IDs[res])
			case ":resource":
				segs[i] = "machine"
			}
		}
		path := "/api/v1/" + strings.Join(segs, "/")
		for _, body := range junkBodies {
			for _, token := range []string{a.AccessToken, ""} {
				r := h.Do(webtest.Req{Method: rt.Method, Path: path, Token: token, Body: bytes.NewReader([]byte(body))})
				checked++
				if r.Status >= 500 {
					t.Errorf("%s %s with %.60q: %s", rt.Method, path, body, r)
				}
			}
		}
	}
	if checked < 500 {
		t.Errorf("only %d requests checked", checked)
	}
}
