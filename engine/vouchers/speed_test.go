package vouchers

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
)

// Validate logs are committed asynchronously (set_config(…, true) inside
// their own statement): the rows are there when the write returns, in the
// one-row and the multi-row form, and synchronous_commit stays on for the
// pooled connections afterwards.
func TestValidateLogsAsyncCommit(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(models.Campaign{Type: "discount", VoucherValue: 10})
	code := f.voucher(c, models.VoucherInput{})
	v := f.view(code)
	row := logRow{userGroup: f.mgr.GroupID, voucher: v.ID, requester: "host-1", action: "validate", success: 1,
		request: "{}", response: "{}"}
	ctx := context.Background()
	must(t, f.s.insertLogs(ctx, []logRow{row}))
	must(t, f.s.insertLogs(ctx, []logRow{row, row, row}))
	if n := f.count(`SELECT count(*) FROM voucher_logs WHERE voucher = ? AND action = 'validate'`, v.ID); n != 4 {
		t.Fatalf("%d validate logs, want 4", n)
	}
	// hold several connections at once so that the check sees more than one
	conns := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			errs <- f.s.DB.WithConn(ctx, func(c *pgx.Conn) error {
				var sc string
				if err := c.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&sc); err != nil {
					return err
				}
				<-conns
				if sc != "on" {
					t.Errorf("synchronous_commit = %q on a pooled connection, want on", sc)
				}
				return nil
			})
		}()
	}
	close(conns)
	for range 4 {
		must(t, <-errs)
	}
}

// The redemptions and logs have no foreign keys (migrations 00009, 00011);
// a trigger on vouchers does what the cascade did: deleting a voucher or
// its campaign still removes them.
func TestDeleteRemovesRedemptionsAndLogs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100})
	c2 := f.campaign(models.Campaign{Type: "gift", VoucherValue: 100})
	codes := []string{f.voucher(c, models.VoucherInput{}), f.voucher(c, models.VoucherInput{}),
		f.voucher(c2, models.VoucherInput{})}
	for _, code := range codes {
		f.validate(f.dev, code, ValidateRequest{})
		if r := f.redeem(f.dev, code, f.order(), 10, &Demand{Amount: 10}); !r.Redeemed {
			t.Fatalf("redeem = %+v", r)
		}
	}
	left := func() (int64, int64) {
		return f.count(`SELECT count(*) FROM redemptions`), f.count(`SELECT count(*) FROM voucher_logs`)
	}
	if r, l := left(); r != 3 || l != 6 {
		t.Fatalf("%d redemptions, %d logs, want 3 and 6", r, l)
	}
	must(t, f.s.DeleteVoucher(ctx, f.mgr, f.view(codes[2]).ID))
	if r, l := left(); r != 2 || l != 4 {
		t.Fatalf("after deleting a voucher: %d redemptions, %d logs, want 2 and 4", r, l)
	}
	must(t, f.s.DeleteCampaign(ctx, f.mgr, c.ID))
	if r, l := left(); r != 0 || l != 0 {
		t.Fatalf("after deleting the campaign: %d redemptions, %d logs, want none", r, l)
	}
}
