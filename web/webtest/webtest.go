// Package webtest runs the real HTTP router over a fresh PostgreSQL database
// for tests: a settable clock, fast password hashing, an httptest server and
// helpers to make tenants, log in and send JSON requests.
//
// Every test package that uses it must have
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/vendrule/vendrule/engine/alerts"
	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/engine/identity"
	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/engine/printing"
	"github.com/vendrule/vendrule/engine/vouchers"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
	"github.com/vendrule/vendrule/web"
)

// Secret signs the harness's access tokens.
const Secret = "webtest-secret-webtest-secret-webtest"

// Clock is a settable clock that is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Harness is one router over one fresh database, served on 127.0.0.1.
type Harness struct {
	T        testing.TB
	DB       *pg.DB
	Clock    *Clock
	Identity *identity.Service
	Fleet    *fleet.Service
	Ingest   *ingest.Service
	Alerts   *alerts.Engine
	Vouchers *vouchers.Service
	Printing *printing.Service
	Registry *prometheus.Registry
	Router   *gin.Engine
	Server   *httptest.Server

	seq     atomic.Int64
	mu      sync.Mutex
	clients map[string]*http.Client
}

// New starts a harness whose resources are released when t ends. The clock
// starts at the current time (truncated to the second) and drives every
// service (identity, fleet, ingest, vouchers), as cmd/vendrule wires them.
func New(t testing.TB) *Harness {
	t.Helper()
	db := pgtest.MustOpenDB(t)
	// Tests share one server (max_connections is often 100): keep each
	// harness's pool small. 16 still lets 16 requests race in the database.
	db.SQL.SetMaxOpenConns(16)
	db.SQL.SetMaxIdleConns(4)
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	ids := identity.New(db, []byte(Secret))
	ids.Now = clock.Now
	ids.BcryptCost = bcrypt.MinCost
	ids.BaseURL = "http://console.test"
	h := &Harness{
		T: t, DB: db, Clock: clock, Identity: ids,
		Fleet:    &fleet.Service{DB: db, Now: clock.Now},
		Ingest:   &ingest.Service{DB: db, Now: clock.Now},
		Vouchers: vouchers.New(db),
		Registry: prometheus.NewRegistry(),
		clients:  map[string]*http.Client{},
	}
	h.Vouchers.Now = clock.Now
	h.Alerts = alerts.New(db)
	h.Alerts.Now = clock.Now
	h.Ingest.OnStored = h.Alerts.OnStored
	t.Cleanup(h.Vouchers.Close) // before the database is dropped
	h.Printing = printing.New(db)
	h.Printing.Poll = 50 * time.Millisecond
	t.Cleanup(h.Printing.Close)
	h.Router = web.NewRouter(web.Deps{
		DB: db, Identity: ids, Fleet: h.Fleet, Ingest: h.Ingest, Alerts: h.Alerts, Vouchers: h.Vouchers,
		Printing: h.Printing,
		Registry: h.Registry, Log: slog.New(slog.DiscardHandler),
	})
	h.Server = httptest.NewServer(h.Router)
	t.Cleanup(func() {
		h.Server.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range h.clients {
			c.CloseIdleConnections()
		}
	})
	return h
}

// Unique returns a string unique within the harness, for names and hostnames.
func (h *Harness) Unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, h.seq.Add(1))
}

// client returns an HTTP client whose connections come from the loopback
// address from (e.g. "127.0.0.7"), so that the server sees that client
// address; "" is the default 127.0.0.1.
func (h *Harness) client(from string) *http.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.clients[from]; ok {
		return c
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if from != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		tr.DialContext = d.DialContext
	}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	h.clients[from] = c
	return c
}

// Req is one request to the harness's server.
type Req struct {
	Method string
	Path   string // e.g. /api/v1/machines?limit=5
	Token  string // sent as Authorization: Bearer <Token> when set
	// Body is sent as is when it is []byte, string or io.Reader, and as JSON
	// otherwise; nil sends no body.
	Body   any
	Header http.Header
	From   string // loopback address to connect from; "" = 127.0.0.1
}

// Response is a server's answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends r and returns the answer; transport errors fail the test.
func (h *Harness) Do(r Req) *Response {
	h.T.Helper()
	resp, err := h.TryDo(r)
	if err != nil {
		h.T.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	return resp
}

// TryDo is Do returning transport errors, for use off the test goroutine.
func (h *Harness) TryDo(r Req) (*Response, error) {
	var body io.Reader
	contentType := ""
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body, contentType = bytes.NewReader(b), "application/json"
	case string:
		body, contentType = strings.NewReader(b), "application/json"
	case io.Reader:
		body, contentType = b, "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		body, contentType = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(context.Background(), r.Method, h.Server.URL+r.Path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	resp, err := h.client(r.From).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Get sends GET path.
func (h *Harness) Get(path, token string) *Response {
	h.T.Helper()
	return h.Do(Req{Method: http.MethodGet, Path: path, Token: token})
}

// Post sends POST path with body as JSON.
func (h *Harness) Post(path, token string, body any) *Response {
	h.T.Helper()
	return h.Do(Req{Method: http.MethodPost, Path: path, Token: token, Body: body})
}

// Put sends PUT path with body as JSON.
func (h *Harness) Put(path, token string, body any) *Response {
	h.T.Helper()
	return h.Do(Req{Method: http.MethodPut, Path: path, Token: token, Body: body})
}

// Delete sends DELETE path.
func (h *Harness) Delete(path, token string) *Response {
	h.T.Helper()
	return h.Do(Req{Method: http.MethodDelete, Path: path, Token: token})
}

// String describes the response for failure messages.
func (r *Response) String() string {
	b := r.Body
	if len(b) > 2000 {
		b = append(b[:2000:2000], "…"...)
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

// Decode decodes the JSON body into v, failing t when it cannot.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// Object decodes the body as a JSON object.
func (r *Response) Object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// Objects decodes the body as a JSON array of objects.
func (r *Response) Objects(t testing.TB) []map[string]any {
	t.Helper()
	var m []map[string]any
	r.Decode(t, &m)
	return m
}

// Error decodes the body as the error envelope.
func (r *Response) Error(t testing.TB) web.ErrorBody {
	t.Helper()
	var e web.ErrorBody
	r.Decode(t, &e)
	return e
}

// ID returns the "id" of a creation answer.
func (r *Response) ID(t testing.TB) int64 {
	t.Helper()
	var v struct {
		ID int64 `json:"id"`
	}
	r.Decode(t, &v)
	if v.ID == 0 {
		t.Fatalf("no id in %s", r)
	}
	return v.ID
}

// Expect fails t unless the response has status.
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r)
	}
	return r
}

// ExpectError fails t unless the response is the error envelope with status
// and code; it returns the envelope.
func (r *Response) ExpectError(t testing.TB, status int, code string) web.ErrorBody {
	t.Helper()
	r.Expect(t, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error answer has Content-Type %q, want JSON: %s", ct, r)
	}
	e := r.Error(t)
	if e.Code != code || e.Message == "" {
		t.Fatalf("error envelope %+v, want code %q and a message: %s", e, code, r)
	}
	return e
}

// Tokens is a login's answer.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// Tenant is a user made with identity.AddUser, logged in.
type Tenant struct {
	Group    string // name of the group
	GroupID  int64
	UserID   int64
	Username string
	Email    string
	Password string
	Tokens
}

// NewTenant makes a top-level group named name with one user (an admin group
// when admin) and logs the user in.
func (h *Harness) NewTenant(name string, admin bool) *Tenant {
	h.T.Helper()
	return h.AddUser(name, h.Unique(strings.ToLower(name)+"user"), admin)
}

// AddUser adds username to the group named group (made as a tenant when
// missing) with identity.AddUser and logs it in.
func (h *Harness) AddUser(group, username string, admin bool) *Tenant {
	h.T.Helper()
	tn := &Tenant{Group: group, Username: username, Email: username + "@example.test",
		Password: "password-" + username}
	id, err := h.Identity.AddUser(context.Background(), group, tn.Username, tn.Email, admin, tn.Password)
	if err != nil {
		h.T.Fatalf("AddUser %s/%s: %v", group, username, err)
	}
	tn.UserID = id
	if err := h.DB.Raw("SELECT user_group FROM users WHERE id = ?", id).Scan(&tn.GroupID).Error; err != nil {
		h.T.Fatal(err)
	}
	tn.Tokens = h.MustLogin(tn.Username, tn.Password)
	return tn
}

// Login posts username and password to /auth/login.
func (h *Harness) Login(username, password string) *Response {
	h.T.Helper()
	return h.Post("/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
}

// MustLogin logs in and returns the token pair.
func (h *Harness) MustLogin(username, password string) Tokens {
	h.T.Helper()
	var tk Tokens
	h.Login(username, password).Expect(h.T, http.StatusOK).Decode(h.T, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" {
		h.T.Fatalf("login %s: empty tokens", username)
	}
	return tk
}

// MustCreate posts body to path (e.g. /api/v1/locations), expects 201 and
// returns the new id.
func (h *Harness) MustCreate(token, path string, body any) int64 {
	h.T.Helper()
	r := h.Post(path, token, body)
	if r.Status != http.StatusCreated {
		h.T.Fatalf("POST %s: %s", path, r)
	}
	return r.ID(h.T)
}

// Fleet is one of every fleet and identity resource of a tenant, by the
// path segment of its resource.
type Fleet struct {
	IDs      map[string]int64 // "locations" → id, "machines" → id, …
	Hostname string           // the machine's hostname
}

// MakeFleet creates one of each resource with token: location,
// locationgroup, machine, machinegroup, manufacturer, machinetype,
// machinemodel, errorprofile, erroridentity, errorcode, product, a sub user group and
// a user in it. Every name, hostname and code starts with tag, so that a
// test can look for the tag in another tenant's answers.
func (h *Harness) MakeFleet(token, tag string) *Fleet {
	h.T.Helper()
	f := &Fleet{IDs: map[string]int64{}}
	u := func(s string) string { return h.Unique(tag + s) }
	c := func(res string, body map[string]any) int64 {
		h.T.Helper()
		id := h.MustCreate(token, "/api/v1/"+res, body)
		f.IDs[res] = id
		return id
	}
	mt := c("machinetypes", map[string]any{"name": u("type")})
	mf := c("manufacturers", map[string]any{"name": u("maker"), "machineTypes": []int64{mt}})
	ep := c("errorprofiles", map[string]any{"name": u("profile"), "machineType": mt, "manufacturer": mf})
	ei := c("erroridentities", map[string]any{"machineType": mt, "error": u("jam")})
	c("errorcodes", map[string]any{"errorIdentity": ei, "errorProfile": ep, "code": u("ED")})
	mm := c("machinemodels", map[string]any{"name": u("model"), "manufacturer": mf,
		"errorProfile": ep, "machineType": mt})
	loc := c("locations", LocationBody(u("loc")))
	c("locationgroups", map[string]any{"name": u("locgroup"), "locations": []int64{loc}})
	f.Hostname = u("host-")
	m := c("machines", map[string]any{"name": u("machine"), "hostname": f.Hostname, "location": loc,
		"machineModel": mm, "machineType": mt, "manufacturer": mf})
	c("machinegroups", map[string]any{"name": u("machgroup"), "machines": []int64{m}})
	c("products", map[string]any{"plu": 7, "name": u("product"), "price": 150})
	sub := c("usergroups", map[string]any{"name": u("subgroup"), "admin": 0})
	member := u("member")
	c("users", map[string]any{"username": member, "email": member + "@example.test", "userGroup": sub})
	h.makeNotifyFixtures(f, c, u, member+"@example.test")
	h.makeAlertFixture(f, tag)
	return f
}

// makeAlertFixture adds a resolved alert on the fleet's machine, so that
// the isolation walks cover /alerts/:id. Its observer lives in a group of
// its own, so that the tenant's observer lists stay as the test made them.
func (h *Harness) makeAlertFixture(f *Fleet, tag string) {
	h.T.Helper()
	var tenant, hidden, obs, alert int64
	must := func(err error) {
		h.T.Helper()
		if err != nil {
			h.T.Fatalf("alert fixture: %v", err)
		}
	}
	must(h.DB.Raw("SELECT user_group FROM machines WHERE id = ?", f.IDs["machines"]).Scan(&tenant).Error)
	must(h.DB.Raw("INSERT INTO user_groups (name) VALUES (?) RETURNING id", h.Unique(tag+"alert-fixtures")).Scan(&hidden).Error)
	must(h.DB.Raw(`INSERT INTO alert_observers (user_group, name, type, observer, timer, timer_type)
		VALUES (?, ?, 'event', 'occurrence', 1, 1) RETURNING id`, hidden, h.Unique(tag+"fixture-observer")).Scan(&obs).Error)
	now := h.Clock.Now()
	must(h.DB.Raw(`INSERT INTO alerts (user_group, observer, machine, status, started_at, resolved_at, count)
		VALUES (?, ?, ?, 'resolved', ?, ?, 1) RETURNING id`, tenant, obs, f.IDs["machines"], now, now).Scan(&alert).Error)
	f.IDs["alerts"] = alert
}

// makeNotifyFixtures adds an alert group with one active recipient, a
// language with a translation, and the id of the outbox message (the
// activation email) sent to email.
func (h *Harness) makeNotifyFixtures(f *Fleet, c func(string, map[string]any) int64, u func(string) string, email string) {
	h.T.Helper()
	ag := c("alertgroups", map[string]any{"name": u("alertgroup")})
	lang := c("languages", map[string]any{"name": u("lang"), "language": "de", "locale": "de_AT"})
	c("alertrecipients", map[string]any{"name": u("recipient"), "email": u("recipient") + "@example.test",
		"alertGroup": ag, "language": lang, "active": true})
	c("translations", map[string]any{"key": "alert.link", "language": lang, "value": u("Zum Alarm")})
	var id int64
	if err := h.DB.Raw("SELECT id FROM outbox WHERE to_address = ? ORDER BY id LIMIT 1", email).Scan(&id).Error; err != nil || id == 0 {
		h.T.Fatalf("no outbox message to %s: %v", email, err)
	}
	f.IDs["notifications"] = id
}

// LocationBody is a valid new location named name.
func LocationBody(name string) map[string]any {
	return map[string]any{"name": name, "address": "Damrak 1", "postcode": "1012 LG",
		"city": "Amsterdam", "country": "NL"}
}
