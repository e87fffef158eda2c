package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/web/webtest"
)

// A client written against seed 004 sends the seed's own objects: the
// create and update bodies the seed documents and the objects its GETs
// return, read-only fields and 0/1 flags included. These tests send every
// object sample of the seed (testdata/seed004_samples.json, with real ids
// filled in) to its route and require success, and send every resource's
// GET answer back with PUT and require that nothing changes.

// seedSample is one object of the seed and the route it is sent to.
type seedSample struct {
	Route string `json:"route"`
	From  string `json:"from"`
	Fixes string `json:"fixes"`
	Body  any    `json:"body"`
}

// seedEnv is a tenant with a fleet, a campaign, a voucher and an observer,
// and the values that fill the samples' placeholders.
type seedEnv struct {
	h     *webtest.Harness
	token string
	ids   map[string]int64
	text  map[string]string // placeholders that stand for text
	seq   int
}

func newSeedEnv(t *testing.T) *seedEnv {
	t.Helper()
	h := webtest.New(t)
	a := h.NewTenant("Seed", true)
	f := h.MakeFleet(a.AccessToken, "seed-")
	e := &seedEnv{h: h, token: a.AccessToken, ids: f.IDs, text: map[string]string{"fixturehost": f.Hostname}}
	e.ids["usergroup"] = a.GroupID
	e.ids["campaigns"] = h.MustCreate(e.token, "/api/v1/campaigns", map[string]any{"name": "Seed",
		"type": "discount", "voucherValue": 50, "prefix": "SEED"})
	v := h.Post("/api/v1/vouchers", e.token, map[string]any{"campaign": e.ids["campaigns"]}).
		Expect(t, http.StatusCreated).Object(t)
	e.text["voucher"], e.text["vouchercode"], e.text["voucherprefix"] = v["id"].(string), v["code"].(string), v["prefix"].(string)
	e.ids["alertobservers"] = h.MustCreate(e.token, "/api/v1/alertobservers", map[string]any{"name": "Seed",
		"type": "event", "observer": "occurrence", "timer": 5, "timerType": 1})
	return e
}

// fill replaces the placeholders of a sample's body (see the testdata's
// "about").
func (e *seedEnv) fill(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			out[k] = e.fill(t, val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = e.fill(t, val)
		}
		return out
	case string:
		return e.placeholder(t, x)
	}
	return v
}

func (e *seedEnv) placeholder(t *testing.T, s string) any {
	t.Helper()
	if len(s) < 2 || (s[0] != '@' && s[0] != '#') {
		return s
	}
	name := s[1:]
	e.seq++
	switch {
	case name == "unique":
		return e.h.Unique("seed")
	case name == "email":
		return e.h.Unique("seed") + "@example.test"
	case name == "code":
		return fmt.Sprintf("SEEDCODE%d", e.seq)
	case name == "remote":
		return 9_000_000 + e.seq
	case e.text[name] != "":
		return e.text[name]
	}
	id, ok := e.ids[name]
	if !ok {
		t.Fatalf("no fixture for placeholder %s", s)
	}
	if s[0] == '#' {
		return strconv.FormatInt(id, 10)
	}
	return id
}

// path turns a sample's route into a method and a URL with the fixture's id.
func (e *seedEnv) path(t *testing.T, route string) (string, string) {
	t.Helper()
	method, p, _ := strings.Cut(route, " ")
	if strings.Contains(p, "{id}") {
		res := strings.Split(p, "/")[1]
		id := map[string]string{"openinghours": strconv.FormatInt(e.ids["machines"], 10),
			"vouchers": e.text["voucher"]}[res]
		if id == "" {
			id = strconv.FormatInt(e.ids[res], 10)
		}
		p = strings.Replace(p, "{id}", id, 1)
	}
	return method, "/api/v1" + p
}

func loadSeedSamples(t *testing.T) []seedSample {
	t.Helper()
	b, err := os.ReadFile("testdata/seed004_samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Samples []seedSample }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Samples
}

func TestSeedSamplesAreAccepted(t *testing.T) {
	e := newSeedEnv(t)
	for _, s := range loadSeedSamples(t) {
		t.Run(s.Route+" "+s.From, func(t *testing.T) {
			method, path := e.path(t, s.Route)
			r := e.h.Do(webtest.Req{Method: method, Path: path, Token: e.token, Body: e.fill(t, s.Body)})
			if r.Status < 200 || r.Status > 299 {
				t.Fatalf("%s %s (%s): %s", method, path, s.From, r)
			}
		})
	}
}

// seedResources are the resources a seed client reads and writes back.
var seedResources = []string{"machines", "machinemodels", "machinetypes", "manufacturers", "machinegroups",
	"locations", "locationgroups", "errorprofiles", "erroridentities", "errorcodes", "users", "usergroups",
	"alertobservers", "alertgroups", "alertrecipients", "languages", "translations", "campaigns", "vouchers"}

func TestSeedRoundTripChangesNothing(t *testing.T) {
	e := newSeedEnv(t)
	for _, res := range seedResources {
		t.Run(res, func(t *testing.T) {
			_, path := e.path(t, "GET /"+res+"/{id}")
			before := e.h.Get(path, e.token).Expect(t, http.StatusOK).Object(t)
			e.h.Put(path, e.token, before).Expect(t, http.StatusOK)
			after := e.h.Get(path, e.token).Expect(t, http.StatusOK).Object(t)
			delete(before, "updatedAt")
			delete(after, "updatedAt")
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("PUT of the GET answer changed %s:\nbefore %v\nafter  %v", res, before, after)
			}
		})
	}
}

// TestSeedReadOnlyFieldsAreNotStored checks that what a body says about a
// read-only field is ignored, and that references to nothing are refused.
func TestSeedReadOnlyFieldsAreNotStored(t *testing.T) {
	e := newSeedEnv(t)
	body := map[string]any{"name": "Old", "hostname": e.h.Unique("old"), "location": e.ids["locations"],
		"createdAt": "2001-01-01T00:00:00Z", "id": 77, "lastLog": 5}
	id := e.h.MustCreate(e.token, "/api/v1/machines", body)
	m := e.h.Get(fmt.Sprintf("/api/v1/machines/%d", id), e.token).Expect(t, http.StatusOK).Object(t)
	if strings.HasPrefix(m["createdAt"].(string), "2001") || m["id"].(float64) == 77 {
		t.Fatalf("read-only fields were stored: %v", m)
	}
	for _, tt := range []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"/api/v1/machinegroups", map[string]any{"name": "g", "machines": []int64{0}}, "machines"},
		{"/api/v1/machines", map[string]any{"name": "m", "hostname": e.h.Unique("m"), "location": e.ids["locations"],
			"machineModel": 0}, "machineModel"},
		{"/api/v1/machines", map[string]any{"name": "m", "hostname": e.h.Unique("m"), "location": e.ids["locations"],
			"currency": 999}, "currency"},
		{"/api/v1/errorcodes", map[string]any{"errorIdentity": 99999999, "errorProfile": e.ids["errorprofiles"],
			"code": "X"}, "errorIdentity"},
	} {
		got := e.h.Post(tt.path, e.token, tt.body).ExpectError(t, http.StatusBadRequest, "invalid")
		if _, ok := got.Fields[tt.field]; !ok || strings.Contains(got.Message, "identitie ") {
			t.Fatalf("%s %v: %+v, want field %s", tt.path, tt.body, got, tt.field)
		}
	}
}

// TestSeedMembershipFromEitherSide sets a machine's groups from the
// machine and reads them on the group.
func TestSeedMembershipFromEitherSide(t *testing.T) {
	e := newSeedEnv(t)
	g := e.h.MustCreate(e.token, "/api/v1/machinegroups", map[string]any{"name": e.h.Unique("g")})
	machine := fmt.Sprintf("/api/v1/machines/%d", e.ids["machines"])
	e.h.Put(machine, e.token, map[string]any{"machineGroups": []int64{g}}).Expect(t, http.StatusOK)
	members := func(id int64) []any {
		return e.h.Get(fmt.Sprintf("/api/v1/machinegroups/%d", id), e.token).Expect(t, http.StatusOK).Object(t)["machines"].([]any)
	}
	if got := members(g); len(got) != 1 || int64(got[0].(float64)) != e.ids["machines"] {
		t.Fatalf("group %d holds %v", g, got)
	}
	if got := members(e.ids["machinegroups"]); len(got) != 0 {
		t.Fatalf("the fixture group still holds %v", got)
	}
	e.h.Put(machine, e.token, map[string]any{"machineGroups": []int64{}}).Expect(t, http.StatusOK)
	if got := members(g); len(got) != 0 {
		t.Fatalf("group %d still holds %v", g, got)
	}
}
