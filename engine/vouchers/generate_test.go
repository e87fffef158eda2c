package vouchers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func countVouchers(t testing.TB, f *fixture, campaign int64) int64 {
	var n int64
	must(t, f.s.DB.Raw(`SELECT count(*) FROM vouchers WHERE campaign = ?`, campaign).Scan(&n).Error)
	return n
}

func TestGenerate100k(t *testing.T) {
	f := newFixture(t)
	var progress []int
	f.s.AfterChunk = func(_ int64, done int) error { progress = append(progress, done); return nil }
	start := time.Now()
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, TotalVouchers: 100_000, Prefix: "SUM"})
	t.Logf("generated 100000 vouchers in %v", time.Since(start))
	got, err := f.s.Campaign(context.Background(), f.mgr, c.ID)
	must(t, err)
	if got.Status != models.StatusActive || got.GeneratedVouchers != 100_000 || countVouchers(t, f, c.ID) != 100_000 {
		t.Fatalf("campaign %+v, %d vouchers", got, countVouchers(t, f, c.ID))
	}
	if len(progress) != 10 || progress[9] != 100_000 {
		t.Fatalf("progress %v", progress)
	}
}

func TestGenerateFailureLeavesNothing(t *testing.T) {
	f := newFixture(t)
	f.s.AfterChunk = func(_ int64, done int) error {
		if done >= 50_000 {
			return errors.New("disk on fire")
		}
		return nil
	}
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10, TotalVouchers: 100_000})
	got, err := f.s.Campaign(context.Background(), f.mgr, c.ID)
	must(t, err)
	if got.Status != models.StatusFailed || got.GenerationError == "" || countVouchers(t, f, c.ID) != 0 {
		t.Fatalf("campaign %+v, %d vouchers", got, countVouchers(t, f, c.ID))
	}
}

func TestGenerateRetriesCollisions(t *testing.T) {
	f := newFixture(t)
	// A generator that repeats itself: every code is drawn several times.
	var n atomic.Int64
	f.s.NewCode = func(p string) (string, error) { return fmt.Sprintf("%s-%d", p, n.Add(1)%1500), nil }
	first := f.campaign(models.Campaign{Type: "discount", VoucherValue: 1, TotalVouchers: 1000, Prefix: "DUP"})
	second := f.campaign(models.Campaign{Type: "discount", VoucherValue: 1, TotalVouchers: 400, Prefix: "DUP"})
	if countVouchers(t, f, first.ID) != 1000 || countVouchers(t, f, second.ID) != 400 {
		t.Fatalf("%d and %d vouchers", countVouchers(t, f, first.ID), countVouchers(t, f, second.ID))
	}
	third := f.campaign(models.Campaign{Type: "discount", VoucherValue: 1, TotalVouchers: 200, Prefix: "DUP"})
	got, _ := f.s.Campaign(context.Background(), f.mgr, third.ID)
	if got.Status != models.StatusFailed || countVouchers(t, f, third.ID) != 0 {
		t.Fatalf("exhausted code space: %+v", got)
	}
}

func TestResumeRedoesCreating(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A crash: the campaign row exists as "creating" but no job runs.
	var id int64
	must(t, f.s.DB.Raw(`INSERT INTO campaigns (user_group, tenant, name, type, total_vouchers, status)
		VALUES (?, ?, 'crashed', 'gift', 500, 'creating') RETURNING id`, f.mgr.GroupID, f.mgr.GroupID).Scan(&id).Error)
	must(t, f.s.Resume(ctx))
	f.s.Wait()
	got, err := f.s.Campaign(ctx, f.mgr, id)
	must(t, err)
	if got.Status != models.StatusActive || countVouchers(t, f, id) != 500 {
		t.Fatalf("resumed campaign %+v", got)
	}
}

func TestCreateVouchersCount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 500})
	v, err := f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Count: 5000})
	must(t, err)
	if v != nil || countVouchers(t, f, c.ID) != 5000 {
		t.Fatalf("count 5000: %v, %d", v, countVouchers(t, f, c.ID))
	}
	f.voucher(c, models.VoucherInput{Code: "MY-CODE"})
	_, err = f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Code: "MY-CODE"})
	if models.CodeOf(err) != models.ECONFLICT {
		t.Fatalf("duplicate custom code: %v", err)
	}
	_, err = f.s.CreateVouchers(ctx, f.mgr, &models.VoucherInput{Campaign: c.ID, Count: 5001})
	if models.CodeOf(err) != models.EINVALID {
		t.Fatalf("count 5001: %v", err)
	}
}
