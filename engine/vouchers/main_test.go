package vouchers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// fixture is a tenant with a manager and two machines over a fresh database.
type fixture struct {
	t       testing.TB
	s       *Service
	clock   *clock
	mgr     models.Scope
	dev     models.Scope // machine 1
	dev2    models.Scope // machine 2
	loc     int64
	machine int64
	seq     atomic.Int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := pgtest.MustOpenDB(t)
	f := &fixture{t: t, clock: &clock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}}
	var g, uid int64
	must(t, db.Raw(`INSERT INTO user_groups (name) VALUES ('acme') RETURNING id`).Scan(&g).Error)
	must(t, db.Raw(`INSERT INTO users (user_group, username, email) VALUES (?, 'boss', 'b@x.test') RETURNING id`, g).Scan(&uid).Error)
	must(t, db.Raw(`INSERT INTO locations (user_group, name, external_ref) VALUES (?, 'station', 'ext-1') RETURNING id`, g).Scan(&f.loc).Error)
	var m2 int64
	must(t, db.Raw(`INSERT INTO machines (user_group, name, hostname, location) VALUES (?, 'm1', 'host-1', ?) RETURNING id`, g, f.loc).Scan(&f.machine).Error)
	must(t, db.Raw(`INSERT INTO machines (user_group, name, hostname, location) VALUES (?, 'm2', 'host-2', ?) RETURNING id`, g, f.loc).Scan(&m2).Error)
	f.mgr = models.Scope{UserID: uid, GroupID: g, Groups: []int64{g}}
	f.dev = models.Scope{MachineID: f.machine, DeviceID: "host-1", GroupID: g, Groups: []int64{g}}
	f.dev2 = models.Scope{MachineID: m2, DeviceID: "host-2", GroupID: g, Groups: []int64{g}}
	f.s = New(db)
	f.s.Now = f.clock.Now
	t.Cleanup(f.s.Close)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// campaign creates a campaign from c (defaults filled in) and waits for its
// generation.
func (f *fixture) campaign(c models.Campaign) *models.Campaign {
	f.t.Helper()
	base := models.Campaign{}
	base.SetDefaults()
	if c.Type == "" {
		c.Type = base.Type
	}
	if c.ValueType == "" {
		c.ValueType = base.ValueType
	}
	if c.ResetFrequency == "" {
		c.ResetFrequency = base.ResetFrequency
	}
	c.Currency, c.TimeZone = base.Currency, orDefault(c.TimeZone, base.TimeZone)
	if c.Name == "" {
		c.Name = "c"
	}
	must(f.t, f.s.CreateCampaign(context.Background(), f.mgr, &c))
	f.s.Wait()
	return &c
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// voucher adds one voucher to campaign c and returns its code.
func (f *fixture) voucher(c *models.Campaign, in models.VoucherInput) string {
	f.t.Helper()
	in.Campaign = c.ID
	v, err := f.s.CreateVouchers(context.Background(), f.mgr, &in)
	must(f.t, err)
	return v.Code
}

func (f *fixture) redeem(sc models.Scope, code, order string, amount int64, demand *Demand) RedeemResponse {
	f.t.Helper()
	r, err := f.tryRedeem(sc, code, order, amount, demand)
	must(f.t, err)
	return r
}

func (f *fixture) tryRedeem(sc models.Scope, code, order string, amount int64, demand *Demand) (RedeemResponse, error) {
	out, err := f.s.Redeem(context.Background(), sc, code, RedeemRequest{DeviceID: sc.DeviceID,
		Order: &Order{ID: order, Amount: amount}, Demand: demand})
	var r RedeemResponse
	if err == nil {
		err = json.Unmarshal(out, &r)
	}
	return r, err
}

func (f *fixture) validate(sc models.Scope, code string, req ValidateRequest) *ValidateResponse {
	f.t.Helper()
	req.DeviceID = sc.DeviceID
	r, err := f.s.Validate(context.Background(), sc, code, req)
	must(f.t, err)
	return r
}

func (f *fixture) view(code string) *models.VoucherView {
	f.t.Helper()
	v, err := f.s.VoucherByCode(context.Background(), f.mgr, code)
	must(f.t, err)
	return v
}

func (f *fixture) order() string { return fmt.Sprintf("o%d", f.seq.Add(1)) }

func ptr[T any](v T) *T { return &v }
