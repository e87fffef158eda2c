package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/notify"
	"github.com/vendrule/vendrule/notify/email"
	"github.com/vendrule/vendrule/notify/notifytest"
	"github.com/vendrule/vendrule/web/webtest"
)

// End-to-end tests of "an alert reaches the right inboxes": a device uploads
// over HTTP, the alert engine (ingestion hook and Tick) raises or ends an
// alert, notify queues it in the outbox inside the same transaction, and a
// Deliverer sends it over SMTP to a real server on loopback. Time is the
// harness's clock; nothing sleeps.

// The recipients of every test's alert group.
const (
	e2eEnglish  = "ann@example.test"
	e2eGerman   = "jonas@example.test"
	e2eInactive = "olaf@example.test"
)

// e2eEnv is one tenant with a fleet, an alert group with an English, a
// German and an inactive recipient, a device key for the fleet's machine,
// an SMTP server and a deliverer on the harness's clock.
type e2eEnv struct {
	h        *webtest.Harness
	a        *webtest.Tenant
	f        *webtest.Fleet
	smtp     *notifytest.Server
	d        *notify.Deliverer
	group    int64
	machine  int64
	key      string // the machine's device key
	code     string // a raw error code the machine model's profile maps to f.IDs["erroridentities"]
	mName    string // the machine's name
	locName  string // its location's name
	seq      int64  // remote ids of uploads
	base     int    // mails the server received during the set-up (account emails)
	location *time.Location
}

// newE2E builds the environment with an alert group made from groupBody.
func newE2E(t *testing.T, groupBody map[string]any) *e2eEnv {
	t.Helper()
	h := webtest.New(t)
	a := h.NewTenant("E2E", true)
	f := h.MakeFleet(a.AccessToken, "e2e-")
	srv := notifytest.Start(t)
	e := &e2eEnv{h: h, a: a, f: f, smtp: srv, machine: f.IDs["machines"], seq: 1000}
	e.d = e.newDeliverer(t)

	e.group = h.MustCreate(a.AccessToken, "/api/v1/alertgroups", groupBody)
	for _, r := range []map[string]any{
		{"name": "Ann", "email": e2eEnglish, "language": builtIn(t, h, a, "en")},
		{"name": "Jonas", "email": e2eGerman, "language": builtIn(t, h, a, "de")},
		{"name": "Olaf", "email": e2eInactive, "language": builtIn(t, h, a, "en"), "active": false},
	} {
		r["alertGroup"] = e.group
		h.MustCreate(a.AccessToken, "/api/v1/alertrecipients", r)
	}
	e.key = issueKey(t, h, a.AccessToken, e.machine).APIKey
	code := h.Get(fmt.Sprintf("/api/v1/errorcodes/%d", f.IDs["errorcodes"]), a.AccessToken).Expect(t, http.StatusOK).Object(t)
	e.code = code["code"].(string)
	e.mName = h.Get(fmt.Sprintf("/api/v1/machines/%d", e.machine), a.AccessToken).Expect(t, http.StatusOK).Object(t)["name"].(string)
	loc := h.Get(fmt.Sprintf("/api/v1/locations/%d", f.IDs["locations"]), a.AccessToken).Expect(t, http.StatusOK).Object(t)
	e.locName = loc["name"].(string)
	tz, _ := loc["timeZone"].(string)
	if tz == "" {
		tz = "Europe/Amsterdam"
	}
	var err error
	if e.location, err = time.LoadLocation(tz); err != nil {
		t.Fatal(err)
	}
	// Send what the fixtures queued (account emails), so that the tests
	// count only the alert mail.
	e.drain(t)
	e.base = e.smtp.Count()
	return e
}

// sent returns how many mails the server received since the set-up.
func (e *e2eEnv) sent() int { return e.smtp.Count() - e.base }

// all returns the mails received since the set-up.
func (e *e2eEnv) all() []notifytest.Mail { return e.smtp.Mails()[e.base:] }

// newDeliverer is a deliverer as cmd/vendrule makes it from SMTP_URL, on the
// harness's clock: a replica that (re)starts builds a fresh one.
func (e *e2eEnv) newDeliverer(t *testing.T) *notify.Deliverer {
	t.Helper()
	ch, err := email.FromEnv(e.smtp.URL(), "Vendrule <alerts@example.test>")
	if err != nil || ch == nil {
		t.Fatalf("channel for %s: %v", e.smtp.URL(), err)
	}
	d := notify.NewDeliverer(e.h.DB, ch)
	d.Now = e.h.Clock.Now
	d.Log = slog.New(slog.DiscardHandler)
	return d
}

// setClock moves the harness's clock to at and logs the manager in again,
// since a jump of hours outlives the access token.
func (e *e2eEnv) setClock(t *testing.T, at time.Time) {
	t.Helper()
	e.h.Clock.Set(at)
	e.a.Tokens = e.h.MustLogin(e.a.Username, e.a.Password)
}

func (e *e2eEnv) drain(t *testing.T) {
	t.Helper()
	if err := e.d.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

func (e *e2eEnv) tick(t *testing.T) {
	t.Helper()
	if err := e.h.Alerts.Tick(context.Background()); err != nil {
		t.Fatalf("tick: %v", err)
	}
}

// observer creates an observer notifying the test's alert group.
func (e *e2eEnv) observer(t *testing.T, body map[string]any) int64 {
	t.Helper()
	return e.h.MustCreate(e.a.AccessToken, "/api/v1/alertobservers", with(body, "alertGroup", e.group))
}

// upload posts one item as the device with key, occurring now.
func (e *e2eEnv) upload(t *testing.T, path, key string, item map[string]any) {
	t.Helper()
	e.seq++
	item = with(item, "remote", e.seq, "occurredAt", e.h.Clock.Now().Format(time.RFC3339))
	r := e.h.Post(path, key, item).Expect(t, http.StatusOK).Object(t)
	if r["stored"] != float64(1) {
		t.Fatalf("POST %s stored %v", path, r)
	}
}

// alerts lists the observer's alerts with status.
func (e *e2eEnv) alerts(t *testing.T, observer int64, status string) []map[string]any {
	t.Helper()
	return e.h.Get(fmt.Sprintf("/api/v1/alerts?where[observer][eq]=%d&where[status][eq]=%s", observer, status),
		e.a.AccessToken).Expect(t, http.StatusOK).Objects(t)
}

// mails returns what addr received whose subject contains part.
func (e *e2eEnv) mails(addr, part string) []notifytest.Mail {
	var out []notifytest.Mail
	for _, m := range e.smtp.To(addr) {
		if strings.Contains(m.Subject, part) {
			out = append(out, m)
		}
	}
	return out
}

// exactlyOnce fails unless every Message-ID the server received came once
// and every outbox row was sent.
func (e *e2eEnv) exactlyOnce(t *testing.T) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range e.smtp.Mails() {
		seen[m.MessageID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("Message-ID %s received %d times", id, n)
		}
	}
	var rows []struct {
		ID        int64
		Status    string
		CreatedAt time.Time
	}
	if err := e.h.DB.Raw("SELECT id, status, created_at FROM outbox ORDER BY id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Status != "sent" {
			t.Errorf("outbox row %d is %s", r.ID, r.Status)
		}
		if seen[notify.MessageID(r.ID, r.CreatedAt)] != 1 {
			t.Errorf("outbox row %d: its Message-ID was received %d times", r.ID, seen[notify.MessageID(r.ID, r.CreatedAt)])
		}
	}
	if len(seen) != len(rows) {
		t.Errorf("%d distinct messages received for %d outbox rows", len(seen), len(rows))
	}
}

// jamObserver is an occurrence observer of the fleet's error identity: each
// jam raises an alert.
func (e *e2eEnv) jamObserver(t *testing.T, name string) int64 {
	return e.observer(t, map[string]any{"name": name, "type": "event", "observer": "occurrence",
		"error": e.f.IDs["erroridentities"], "occurs": 1, "timer": 10, "timerType": 1, "machines": []int64{e.machine}})
}

// wantAlertMails checks that each active recipient got exactly one mail
// about alert id with status (in English, German) and the inactive one none.
func (e *e2eEnv) wantAlertMails(t *testing.T, alertID int64, obsName, en, de string) {
	t.Helper()
	enSubject := fmt.Sprintf("[%s] %s: %s at %s", en, obsName, e.mName, e.locName)
	deSubject := fmt.Sprintf("[%s] %s: %s in %s", de, obsName, e.mName, e.locName)
	link := notify.AlertLink(notify.DefaultConsoleURL, alertID)
	for _, c := range []struct {
		addr, status, subject string
		phrases               []string
	}{
		{e2eEnglish, en, enSubject, []string{"Status: " + en, "Machine: " + e.mName, "Open the alert in the console: " + link}},
		{e2eGerman, de, deSubject, []string{"Status: " + de, "Automat: " + e.mName, "Standort: " + e.locName,
			"Alarm in der Konsole öffnen: " + link}},
	} {
		got := e.mails(c.addr, "["+c.status+"]")
		if len(got) != 1 {
			t.Errorf("%s got %d mails with status %s, want 1: %v", c.addr, len(got), c.status, subjects(e.smtp.To(c.addr)))
			continue
		}
		m := got[0]
		if m.Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.addr, m.Subject, c.subject)
		}
		text, html := m.Parts()
		for _, p := range c.phrases {
			if !strings.Contains(text, p) {
				t.Errorf("%s: text part lacks %q:\n%s", c.addr, p, text)
			}
		}
		if !strings.Contains(html, `href="`+link+`"`) {
			t.Errorf("%s: HTML part lacks the link %s:\n%s", c.addr, link, html)
		}
	}
	if got := e.smtp.To(e2eInactive); len(got) != 0 {
		t.Errorf("the inactive recipient got %v", subjects(got))
	}
}

func subjects(ms []notifytest.Mail) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	return int64(f)
}

// 1. An event mapped to an error identity raises an alert at once; each
// active recipient gets one email in their language, the inactive one none.
func TestE2EOccurrenceAlertReachesRecipientsInTheirLanguage(t *testing.T) {
	t.Parallel()
	e := newE2E(t, map[string]any{"name": "Service team"})
	obs := e.jamObserver(t, "Coin jam")

	// A code the profile does not know maps to no error identity: no alert.
	e.upload(t, "/api/v1/logs", e.key, map[string]any{"code": "UNKNOWN-" + e.code})
	e.tick(t)
	if got := e.alerts(t, obs, "firing"); len(got) != 0 {
		t.Fatalf("an unmapped code raised %v", got)
	}

	e.upload(t, "/api/v1/logs", e.key, map[string]any{"code": e.code})
	e.tick(t)
	firing := e.alerts(t, obs, "firing")
	if len(firing) != 1 || jsonInt(t, firing[0]["machine"]) != e.machine || firing[0]["notified"] != true {
		t.Fatalf("firing alerts %v, want one notified alert on machine %d", firing, e.machine)
	}
	alertID := jsonInt(t, firing[0]["id"])
	if n := e.sent(); n != 0 {
		t.Fatalf("%d mails before the deliverer ran", n)
	}

	e.drain(t)
	if n := e.sent(); n != 2 {
		t.Errorf("%d mails, want 2 (one per active recipient): %v", n, subjects(e.all()))
	}
	e.wantAlertMails(t, alertID, "Coin jam", "Firing", "Ausgelöst")
	started, err := time.Parse(time.RFC3339, firing[0]["startedAt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if de := e.mails(e2eGerman, "Ausgelöst"); len(de) == 1 {
		text, _ := de[0].Parts()
		want := "Begonnen: " + started.In(e.location).Format("02.01.2006 15:04 MST") // the location's time zone
		if !strings.Contains(text, want) || !strings.Contains(text, "Der Beobachter Coin jam hat einen Alarm") {
			t.Errorf("German body lacks %q or its intro:\n%s", want, text)
		}
	}
	e.drain(t) // nothing is sent twice
	e.exactlyOnce(t)
}

// 2. The same path across an SMTP outage and a restarted replica: every
// message is delivered exactly once.
func TestE2EDeliveryAcrossSMTPOutageAndRestart(t *testing.T) {
	t.Parallel()
	e := newE2E(t, map[string]any{"name": "Service team"})
	obs := e.jamObserver(t, "Coin jam")
	before := e.sent()

	e.smtp.Stop()
	e.upload(t, "/api/v1/logs", e.key, map[string]any{"code": e.code})
	e.tick(t)
	firing := e.alerts(t, obs, "firing")
	if len(firing) != 1 {
		t.Fatalf("firing alerts %v", firing)
	}
	e.drain(t) // the server is down: nothing goes, nothing is used up
	var pending []struct {
		Status    string
		Attempts  int
		LastError string
	}
	if err := e.h.DB.Raw("SELECT status, attempts, last_error FROM outbox WHERE kind = 'alert' ORDER BY id").
		Scan(&pending).Error; err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 {
		t.Fatalf("%d alert messages in the outbox, want 2", len(pending))
	}
	for _, p := range pending {
		if p.Status != "pending" || p.Attempts != 0 || p.LastError == "" {
			t.Errorf("during the outage a message is %+v, want pending, 0 attempts, with the error", p)
		}
	}
	if n := e.sent(); n != before {
		t.Fatalf("%d mails received while the server was down", n-before)
	}

	// The replica restarts: a new deliverer over the same database.
	e.d = e.newDeliverer(t)
	e.smtp.Restart(t)
	e.drain(t) // the messages wait for notify.ChannelRetry first
	if n := e.sent(); n != before {
		t.Fatalf("%d mails sent before the retry was due", n-before)
	}
	e.h.Clock.Advance(notify.ChannelRetry + time.Second)
	var wg sync.WaitGroup // the restarted replica and a second one drain together
	other := e.newDeliverer(t)
	for _, d := range []*notify.Deliverer{e.d, other} {
		wg.Go(func() {
			if err := d.Drain(context.Background()); err != nil {
				t.Errorf("drain: %v", err)
			}
		})
	}
	wg.Wait()
	e.drain(t)
	e.wantAlertMails(t, jsonInt(t, firing[0]["id"]), "Coin jam", "Firing", "Ausgelöst")
	e.exactlyOnce(t)
}

// 3. A non_occurrence observer with notifyResolved: the silence fires at the
// tick that reaches the timer, and a matching sale ends it; both changes are
// emailed.
func TestE2ENonOccurrenceFiresAndResolves(t *testing.T) {
	t.Parallel()
	e := newE2E(t, map[string]any{"name": "Sales watch"})
	obs := e.observer(t, map[string]any{"name": "No cash sales", "type": "transaction", "observer": "non_occurrence",
		"paymentMethod": "cash", "timer": 30, "timerType": 1, "machines": []int64{e.machine}, "notifyResolved": true})
	e.tick(t) // creates the watch

	// No cash sale ever: the silence counts from the later of the observer's
	// and the machine's creation.
	var from time.Time
	for _, path := range []string{fmt.Sprintf("/api/v1/alertobservers/%d", obs), fmt.Sprintf("/api/v1/machines/%d", e.machine)} {
		at, err := time.Parse(time.RFC3339Nano, e.h.Get(path, e.a.AccessToken).Expect(t, http.StatusOK).Object(t)["createdAt"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if at.After(from) {
			from = at
		}
	}
	due := from.Add(30 * time.Minute)
	e.setClock(t, due.Add(-time.Second))
	e.tick(t)
	if got := e.alerts(t, obs, "firing"); len(got) != 0 {
		t.Fatalf("fired a second before the timer: %v", got)
	}
	// A card sale is no cash sale.
	e.upload(t, "/api/v1/revenuetransactions", e.key, map[string]any{"price": 250,
		"payments": []map[string]any{{"method": "card", "price": 250}}})
	e.setClock(t, due.Add(time.Second))
	e.tick(t)
	firing := e.alerts(t, obs, "firing")
	if len(firing) != 1 {
		t.Fatalf("firing alerts after the timer: %v", firing)
	}
	alertID := jsonInt(t, firing[0]["id"])
	e.drain(t)
	e.wantAlertMails(t, alertID, "No cash sales", "Firing", "Ausgelöst")

	e.h.Clock.Advance(5 * time.Minute)
	e.upload(t, "/api/v1/revenuetransactions", e.key, map[string]any{"price": 250,
		"payments": []map[string]any{{"method": "cash", "price": 250}}})
	resolved := e.alerts(t, obs, "resolved")
	if len(resolved) != 1 || jsonInt(t, resolved[0]["id"]) != alertID || resolved[0]["resolvedAt"] == nil {
		t.Fatalf("resolved alerts after a cash sale: %v (firing: %v)", resolved, e.alerts(t, obs, "firing"))
	}
	e.drain(t)
	e.wantAlertMails(t, alertID, "No cash sales", "Resolved", "Behoben")
	if de := e.mails(e2eGerman, "Behoben"); len(de) == 1 {
		if text, _ := de[0].Parts(); !strings.Contains(text, "Beendet: ") {
			t.Errorf("German end notice lacks its end time:\n%s", text)
		}
	}
	if n := e.sent(); n != 4 {
		t.Errorf("%d mails, want 4 (start and end, two recipients): %v", n, subjects(e.all()))
	}
	e.exactlyOnce(t)
}

// 4. A digest group collects alert changes and sends one email per active
// recipient at 08:00 in its time zone.
func TestE2EDigestAtEightInGroupTimeZone(t *testing.T) {
	t.Parallel()
	e := newE2E(t, map[string]any{"name": "Morning report", "schedule": "0 8 * * *", "timeZone": "Europe/Amsterdam"})
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A tick that passed between the group's creation and the clock is
	// recorded now, with nothing to report; the next one is 08:00 after now.
	if err := e.d.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	now := e.h.Clock.Now().In(ams)
	eight := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, ams)
	if eight.Sub(now) < 10*time.Minute { // room for the uploads below
		eight = time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, ams)
	}

	// A second machine with its own device.
	second := e.h.MustCreate(e.a.AccessToken, "/api/v1/machines", map[string]any{"name": "Kiosk Zuid",
		"hostname": e.h.Unique("kiosk-zuid-"), "location": e.f.IDs["locations"], "machineModel": e.f.IDs["machinemodels"],
		"machineType": e.f.IDs["machinetypes"], "manufacturer": e.f.IDs["manufacturers"]})
	secondKey := issueKey(t, e.h, e.a.AccessToken, second).APIKey
	obs := e.observer(t, map[string]any{"name": "Coin jam", "type": "event", "observer": "occurrence",
		"error": e.f.IDs["erroridentities"], "occurs": 1, "timer": 10, "timerType": 1, "machines": []int64{}})

	e.upload(t, "/api/v1/logs", e.key, map[string]any{"code": e.code})
	e.h.Clock.Advance(time.Minute)
	e.upload(t, "/api/v1/logs", secondKey, map[string]any{"code": e.code})
	e.tick(t)
	if got := e.alerts(t, obs, "firing"); len(got) != 2 {
		t.Fatalf("firing alerts %v, want one per machine", got)
	}
	if err := e.d.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if n := e.sent(); n != 0 {
		t.Fatalf("%d mails before the digest: %v", n, subjects(e.all()))
	}

	e.setClock(t, eight.Add(-time.Second)) // 07:59:59 in Amsterdam
	if err := e.d.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if n := e.sent(); n != 0 {
		t.Fatalf("%d mails before 08:00", n)
	}

	e.setClock(t, eight.Add(30*time.Second))
	if err := e.d.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	for _, c := range []struct{ addr, subject string }{
		{e2eEnglish, "Morning report: 2 alert changes"},
		{e2eGerman, "Morning report: 2 Alarmänderungen"},
	} {
		got := e.smtp.To(c.addr)
		if len(got) != 1 {
			t.Errorf("%s got %d digests: %v", c.addr, len(got), subjects(got))
			continue
		}
		if got[0].Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.addr, got[0].Subject, c.subject)
		}
		text, _ := got[0].Parts()
		for _, m := range []string{e.mName, "Kiosk Zuid"} {
			if !strings.Contains(text, "Coin jam: "+m+", "+e.locName) {
				t.Errorf("%s: digest does not list machine %s:\n%s", c.addr, m, text)
			}
		}
	}
	if got := e.smtp.To(e2eInactive); len(got) != 0 {
		t.Errorf("the inactive recipient got %v", subjects(got))
	}
	var alertRows int64
	e.h.DB.Raw("SELECT count(*) FROM outbox WHERE kind = 'alert'").Scan(&alertRows)
	if alertRows != 0 {
		t.Errorf("a digest group got %d immediate alert emails", alertRows)
	}

	// The next morning, with nothing new, no digest.
	e.setClock(t, eight.AddDate(0, 0, 1).Add(time.Minute))
	if err := e.d.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if n := e.sent(); n != 2 {
		t.Errorf("%d mails after an empty day, want the 2 digests only", n)
	}
	e.exactlyOnce(t)
}
