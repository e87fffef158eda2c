package printing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// jobFixture is a tenant with a campaign of n vouchers coded C-0000, … and
// a printing service whose worker is never kicked: tests call Run.
type jobFixture struct {
	t        testing.TB
	s        *Service
	sc       models.Scope
	campaign int64
}

func newJobFixture(t testing.TB, n int) *jobFixture {
	t.Helper()
	db := pgtest.MustOpenDB(t)
	f := &jobFixture{t: t, s: &Service{DB: db, Log: discardLog(), Lease: time.Minute, ChunkSize: 4096,
		kick: make(chan struct{}, 1)}}
	var g int64
	f.exec(`INSERT INTO user_groups (name) VALUES ('acme')`)
	must(t, db.Raw(`SELECT id FROM user_groups WHERE name = 'acme'`).Scan(&g).Error)
	f.sc = models.Scope{GroupID: g, Groups: []int64{g}}
	must(t, db.Raw(`INSERT INTO campaigns (user_group, tenant, name, type, voucher_value, status, voucher_text1)
		VALUES (?, ?, 'spring', 'discount', 250, 'active', 'Free coffee') RETURNING id`, g, g).Scan(&f.campaign).Error)
	f.exec(`INSERT INTO vouchers (id, user_group, tenant, campaign, code, type)
		SELECT gen_random_uuid(), ?, ?, ?, 'C-' || lpad(i::text, 4, '0'), 'discount' FROM generate_series(0, ? - 1) i`,
		g, g, f.campaign, n)
	return f
}

func (f *jobFixture) exec(sql string, args ...any) {
	f.t.Helper()
	must(f.t, f.s.DB.Exec(sql, args...).Error)
}

func (f *jobFixture) run() {
	f.t.Helper()
	must(f.t, f.s.Run(context.Background()))
}

func (f *jobFixture) status(o Owner) string {
	f.t.Helper()
	st, err := f.s.Status(context.Background(), o)
	must(f.t, err)
	return st.Status
}

// mirrored returns the status the campaign and voucher rows show.
func (f *jobFixture) mirrored(o Owner) (status, url string) {
	f.t.Helper()
	q := f.s.DB.Raw(`SELECT vouchers_pdf_status, vouchers_pdf_url FROM campaigns WHERE id = ?`, o.Campaign)
	if o.Voucher != "" {
		q = f.s.DB.Raw(`SELECT pdf_status, pdf_url FROM vouchers WHERE id = ?`, o.Voucher)
	}
	must(f.t, q.Row().Scan(&status, &url))
	return status, url
}

func (f *jobFixture) download(o Owner) []byte {
	f.t.Helper()
	var out bytes.Buffer
	var size int64
	err := f.s.Download(context.Background(), o, func(n int64) io.Writer { size = n; return &out })
	must(f.t, err)
	if int64(out.Len()) != size {
		f.t.Fatalf("downloaded %d bytes, size says %d", out.Len(), size)
	}
	return out.Bytes()
}

func (f *jobFixture) voucherID(code string) string {
	f.t.Helper()
	var id string
	must(f.t, f.s.DB.Raw(`SELECT id FROM vouchers WHERE code = ?`, code).Scan(&id).Error)
	return id
}

func TestCampaignSheetLifecycle(t *testing.T) {
	f := newJobFixture(t, 2*PerPage+3)
	ctx := context.Background()
	o, err := f.s.CampaignOwner(ctx, f.sc, f.campaign)
	must(t, err)
	if st, _ := f.mirrored(o); st != StatusEmpty {
		t.Fatalf("before any request: %s", st)
	}
	if err := f.s.Download(ctx, o, nil); models.CodeOf(err) != models.ENOTFOUND {
		t.Fatalf("download before a request: %v", err)
	}
	_, err = f.s.Request(ctx, o)
	must(t, err)
	if st, _ := f.mirrored(o); st != StatusGenerating {
		t.Fatalf("after the request: %s", st)
	}
	if err := f.s.Download(ctx, o, nil); models.CodeOf(err) != models.ECONFLICT {
		t.Fatalf("download while generating: %v", err)
	}
	f.run()
	st, url := f.mirrored(o)
	if st != StatusReady || url != fmt.Sprintf("/api/v1/campaigns/%d/pdf", f.campaign) {
		t.Fatalf("after the run: %s %q", st, url)
	}
	checkPDF(t, f.download(o), 3, "C-0000")

	// What is printed changes: the sheet is made again, the old bytes go.
	f.exec(`UPDATE campaigns SET voucher_text2 = 'Now with cake' WHERE id = ?`, f.campaign)
	if got := f.status(o); got != StatusGenerating {
		t.Fatalf("after a campaign change: %s", got)
	}
	f.run()
	checkPDF(t, f.download(o), 3, "C-0000")
	var stale int64
	must(t, f.s.DB.Raw(`SELECT count(*) FROM pdf_chunks c JOIN pdfs p ON p.id = c.pdf
		WHERE c.claim IS DISTINCT FROM p.content`).Scan(&stale).Error)
	if stale != 0 {
		t.Fatalf("%d chunks of replaced renders left", stale)
	}

	// A new voucher makes the sheet again, now with a fourth page.
	f.exec(`INSERT INTO vouchers (id, user_group, tenant, campaign, code, type)
		SELECT gen_random_uuid(), user_group, tenant, id, 'C-' || g, type FROM campaigns, generate_series(100, 107) g
		WHERE id = ?`, f.campaign)
	if got := f.status(o); got != StatusGenerating {
		t.Fatalf("after new vouchers: %s", got)
	}
	f.run()
	checkPDF(t, f.download(o), 4, "C-0000")
}

func TestVoucherPDFFollowsItsVoucher(t *testing.T) {
	f := newJobFixture(t, 3)
	ctx := context.Background()
	o, err := f.s.VoucherOwner(ctx, f.sc, f.voucherID("C-0001"))
	must(t, err)
	_, err = f.s.Request(ctx, o)
	must(t, err)
	f.run()
	if st, url := f.mirrored(o); st != StatusReady || url != "/api/v1/vouchers/"+o.Voucher+"/pdf" {
		t.Fatalf("after the run: %s %q", st, url)
	}
	checkPDF(t, f.download(o), 1, "C-0001")

	// Redeems change counters, not what is printed.
	f.exec(`UPDATE vouchers SET redemption_count = 1, amount_redeemed = 100, updated_at = now() WHERE id = ?`, o.Voucher)
	if got := f.status(o); got != StatusReady {
		t.Fatalf("after a redeem: %s", got)
	}
	f.exec(`UPDATE vouchers SET text1 = 'Happy birthday' WHERE id = ?`, o.Voucher)
	if got := f.status(o); got != StatusGenerating {
		t.Fatalf("after a text change: %s", got)
	}
	f.run()
	if got := f.status(o); got != StatusReady {
		t.Fatalf("after the second run: %s", got)
	}
}

// TestJobSurvivesADeadWorker claims a job and abandons it, as a replica
// that dies mid-render would: the job waits for the lease, then another
// worker makes it.
func TestJobSurvivesADeadWorker(t *testing.T) {
	f := newJobFixture(t, 5)
	ctx := context.Background()
	o, _ := f.s.CampaignOwner(ctx, f.sc, f.campaign)
	_, err := f.s.Request(ctx, o)
	must(t, err)
	dead, ok, err := f.s.claim(ctx)
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	w := &chunkWriter{ctx: ctx, s: f.s, j: dead, buf: make([]byte, 0, 10)}
	_, err = w.Write([]byte("half a PDF, never finished"))
	must(t, err)
	f.run()
	if got := f.status(o); got != StatusGenerating {
		t.Fatalf("a live claim was taken over: %s", got)
	}
	f.exec(`UPDATE pdfs SET claimed_until = now() - interval '1 second'`)
	f.run()
	checkPDF(t, f.download(o), 1, "C-0000")
	// The dead worker wakes up: its claim is gone, it can neither store nor
	// publish.
	if _, err := w.Write([]byte("more")); err != errSuperseded {
		t.Fatalf("write after a take-over: %v", err)
	}
	must(t, f.s.publish(ctx, dead, Result{Pages: 99}))
	checkPDF(t, f.download(o), 1, "C-0000")
}

// TestChangeDuringRenderRestarts changes the campaign while a render runs:
// that render is dropped and the next one prints the change.
func TestChangeDuringRenderRestarts(t *testing.T) {
	f := newJobFixture(t, 2)
	ctx := context.Background()
	o, _ := f.s.CampaignOwner(ctx, f.sc, f.campaign)
	_, err := f.s.Request(ctx, o)
	must(t, err)
	j, _, err := f.s.claim(ctx)
	must(t, err)
	f.exec(`UPDATE campaigns SET voucher_value = 300 WHERE id = ?`, f.campaign)
	must(t, f.s.runJob(ctx, j))
	if got := f.status(o); got != StatusGenerating {
		t.Fatalf("a render of the old campaign was published: %s", got)
	}
	f.run()
	if got := f.status(o); got != StatusReady {
		t.Fatalf("after the next run: %s", got)
	}
}

func TestBrokenLogoFails(t *testing.T) {
	f := newJobFixture(t, 1)
	ctx := context.Background()
	var img int64
	must(t, f.s.DB.Raw(`INSERT INTO images (user_group, content_type, width, height, size, data)
		VALUES (?, 'image/png', 1, 1, 3, 'bad') RETURNING id`, f.sc.GroupID).Scan(&img).Error)
	f.exec(`UPDATE campaigns SET voucher_logo_img = ? WHERE id = ?`, img, f.campaign)
	o, _ := f.s.CampaignOwner(ctx, f.sc, f.campaign)
	_, err := f.s.Request(ctx, o)
	must(t, err)
	f.run()
	st, err := f.s.Status(ctx, o)
	must(t, err)
	if st.Status != StatusFailed || st.Error == "" {
		t.Fatalf("status %+v", st)
	}
	// Removing the logo is a change: the sheet is made again.
	f.exec(`DELETE FROM images WHERE id = ?`, img)
	f.run()
	if got := f.status(o); got != StatusReady {
		t.Fatalf("after the logo went: %s", got)
	}
}

func TestOwnersAreTenantScoped(t *testing.T) {
	f := newJobFixture(t, 1)
	other := models.Scope{GroupID: 999, Groups: []int64{999}}
	ctx := context.Background()
	if _, err := f.s.CampaignOwner(ctx, other, f.campaign); models.CodeOf(err) != models.ENOTFOUND {
		t.Fatalf("campaign of another tenant: %v", err)
	}
	if _, err := f.s.VoucherOwner(ctx, other, f.voucherID("C-0000")); models.CodeOf(err) != models.ENOTFOUND {
		t.Fatalf("voucher of another tenant: %v", err)
	}
	if _, err := f.s.VoucherOwner(ctx, f.sc, "not-a-uuid"); models.CodeOf(err) != models.ENOTFOUND {
		t.Fatalf("bad id: %v", err)
	}
}

// checkPDF validates pdf, counts its pages and decodes its first QR code.
func checkPDF(t *testing.T, pdf []byte, pages int, firstCode string) {
	t.Helper()
	n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil || n != pages {
		t.Fatalf("PageCount = %d, %v; want %d", n, err, pages)
	}
	imgs, err := api.ExtractImagesRaw(bytes.NewReader(pdf), []string{"1"}, model.NewDefaultConfiguration())
	must(t, err)
	for _, img := range imgs[0] {
		if img.Name == "Q0" {
			if got := decodeQR(t, img); got != firstCode {
				t.Fatalf("first QR code reads %q, want %q", got, firstCode)
			}
			return
		}
	}
	t.Fatal("no QR code on the first page")
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
