package vouchers

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/vendrule/vendrule/models"
)

func (f *fixture) count(q string, args ...any) int64 {
	f.t.Helper()
	var n int64
	must(f.t, f.s.DB.Raw(q, args...).Scan(&n).Error)
	return n
}

// A voucher changed between a redeem's read and its write (here by a
// redeem through another replica) makes the redeem decide again under the
// row lock: the gift's partial cover then takes what is left.
func TestRedeemRereadsAfterConflict(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100})
	code := f.voucher(c, models.VoucherInput{})
	other := New(f.s.DB)
	other.Now = f.clock.Now
	calls := 0
	f.s.beforeWrite = func() {
		if calls++; calls == 1 {
			if _, err := other.Redeem(context.Background(), f.dev2, code, RedeemRequest{DeviceID: "host-2",
				Order: &Order{ID: "other", Amount: 60}, Demand: &Demand{Amount: 60}}); err != nil {
				t.Error(err)
			}
		}
	}
	r := f.redeem(f.dev, code, "mine", 60, &Demand{Amount: 60})
	if !r.Redeemed || r.Discount.AmountOff != 40 || calls != 1 {
		t.Fatalf("redeem after a conflict = %+v after %d optimistic tries, want 40 off", r, calls)
	}
	v := f.view(code)
	if v.AmountRedeemed != 100 || v.Balance != 0 || v.RedemptionCount != 2 {
		t.Fatalf("voucher = %+v", v)
	}
	if n := f.count(`SELECT count(*) FROM voucher_logs WHERE voucher = ? AND action = 'redeem'`, v.ID); n != 2 {
		t.Fatalf("%d redeem logs, want 2", n)
	}
}

// A voucher that keeps changing under the optimistic redeem is redeemed
// under its row lock in the end.
func TestRedeemFallsBackToRowLock(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, RedemptionLimit: 1})
	code := f.voucher(c, models.VoucherInput{})
	calls := 0
	f.s.beforeWrite = func() {
		calls++
		must(t, f.s.DB.Exec(`UPDATE vouchers SET updated_at = now() WHERE code = ?`, code).Error)
	}
	r := f.redeem(f.dev, code, "o1", 100, nil)
	if !r.Redeemed || calls != 1 {
		t.Fatalf("redeem = %+v after %d optimistic tries", r, calls)
	}
	if r2 := f.redeem(f.dev, code, "o2", 100, nil); r2.Redeemed || r2.Reason != ReasonLimitReached {
		t.Fatalf("second redeem = %+v, want limit_reached", r2)
	}
	v := f.view(code)
	if v.RedemptionCount != 1 || f.count(`SELECT count(*) FROM redemptions WHERE voucher = ?`, v.ID) != 1 ||
		f.count(`SELECT count(*) FROM voucher_logs WHERE voucher = ? AND action = 'redeem'`, v.ID) != 2 {
		t.Fatalf("voucher = %+v", v)
	}
}

// Concurrent retries of one order spend once and all get the first
// answer's bytes.
func TestConcurrentRetriesOfOneOrder(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 1000})
	code := f.voucher(c, models.VoucherInput{})
	req := RedeemRequest{DeviceID: "host-1", Order: &Order{ID: "same", Amount: 70}}
	outs := make([][]byte, 16)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := f.s.Redeem(context.Background(), f.dev, code, req)
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	for _, o := range outs[1:] {
		if !bytes.Equal(o, outs[0]) {
			t.Fatalf("answers differ: %s vs %s", o, outs[0])
		}
	}
	if v := f.view(code); v.AmountRedeemed != 70 || v.RedemptionCount != 1 {
		t.Fatalf("voucher = %+v", v)
	}
}

// Concurrent validates share group statements for their logs, and every
// validate returns only after its own row is written.
func TestValidateLogsGrouped(t *testing.T) {
	var wg sync.WaitGroup
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	code := f.voucher(c, models.VoucherInput{})
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := f.validate(f.dev, code, ValidateRequest{}); !r.Valid {
				t.Errorf("validate = %+v", r)
			}
		}()
	}
	wg.Wait()
	if n := f.count(`SELECT count(*) FROM voucher_logs v JOIN vouchers x ON x.id = v.voucher
		WHERE x.code = ? AND v.action = 'validate' AND v.success = 1 AND v.requester = 'host-1'`, code); n != 40 {
		t.Fatalf("%d validate logs, want 40", n)
	}
}

// Codes are unique per tenant only: redeems of two tenants' vouchers with
// the same code, written in one group, each spend their own voucher.
func TestSameCodeOfTwoTenants(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	codeA := f.voucher(c, models.VoucherInput{Code: "SAME-CODE"})
	var g, uid, loc, m int64
	db := f.s.DB
	must(t, db.Raw(`INSERT INTO user_groups (name) VALUES ('beta') RETURNING id`).Scan(&g).Error)
	must(t, db.Raw(`INSERT INTO users (user_group, username, email) VALUES (?, 'bea', 'bea@x.test') RETURNING id`, g).Scan(&uid).Error)
	must(t, db.Raw(`INSERT INTO locations (user_group, name) VALUES (?, 'b') RETURNING id`, g).Scan(&loc).Error)
	must(t, db.Raw(`INSERT INTO machines (user_group, name, hostname, location) VALUES (?, 'mb', 'host-b', ?) RETURNING id`, g, loc).Scan(&m).Error)
	mgrB := models.Scope{UserID: uid, GroupID: g, Groups: []int64{g}}
	devB := models.Scope{MachineID: m, DeviceID: "host-b", GroupID: g, Groups: []int64{g}}
	cb := models.Campaign{Name: "b", Type: "discount", VoucherValue: 10, ValueType: "cents", ResetFrequency: "never",
		Currency: "EUR", TimeZone: "Europe/Amsterdam"}
	must(t, f.s.CreateCampaign(ctx, mgrB, &cb))
	f.s.Wait()
	vb, err := f.s.CreateVouchers(ctx, mgrB, &models.VoucherInput{Campaign: cb.ID, Code: "SAME-CODE"})
	must(t, err)
	if codeA != vb.Code {
		t.Fatalf("codes %q and %q", codeA, vb.Code)
	}

	var wg sync.WaitGroup
	var ra, rb RedeemResponse
	for range 8 { // several rounds, so that some land in one group
		wg.Add(2)
		go func() { defer wg.Done(); ra = f.redeem(f.dev, codeA, f.order(), 100, nil) }()
		go func() { defer wg.Done(); rb = f.redeem(devB, vb.Code, f.order(), 100, nil) }()
		wg.Wait()
		if !rb.Redeemed || rb.VoucherID != vb.ID || !ra.Redeemed || ra.VoucherID == vb.ID {
			t.Fatalf("redeems = %+v and %+v", ra, rb)
		}
	}
	if a := f.view(codeA); a.RedemptionCount != 8 {
		t.Fatalf("tenant A's voucher: %+v", a)
	}
	if nb := f.count(`SELECT redemption_count FROM vouchers WHERE id = ?`, vb.ID); nb != 8 {
		t.Fatalf("tenant B's voucher redeemed %d times", nb)
	}
}
