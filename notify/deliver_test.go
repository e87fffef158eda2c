package notify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/notify"
)

func TestDeliveryToActiveRecipientsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.alertGroup("immediate", "UTC")
	e.recipient(g, "on@example.test", nil, true)
	e.recipient(g, "off@example.test", nil, false)
	other := e.alertGroup("immediate", "UTC")
	e.recipient(other, "elsewhere@example.test", nil, true)
	e.enqueue(e.event(g, notify.AlertStarted))
	e.drain()

	if n := len(e.smtp.Mails()); n != 1 {
		t.Fatalf("%d mails, want 1: %+v", n, e.smtp.Mails())
	}
	m := e.smtp.To("on@example.test")
	if len(m) != 1 {
		t.Fatalf("active recipient got %d mails", len(m))
	}
	for _, want := range []string{"Firing", "Coin jam", "Kiosk 12", "Centraal Station"} {
		if !strings.Contains(m[0].Subject, want) {
			t.Errorf("subject %q lacks %q", m[0].Subject, want)
		}
	}
	text, html := m[0].Parts()
	// 10:30 UTC is 12:30 in Amsterdam in summer.
	for _, want := range []string{"12:30 CEST", "http://localhost:8080/alerts/", "Occurrences: 3"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, "<a href=\"http://localhost:8080/alerts/") || !strings.Contains(html, "Centraal Station") {
		t.Errorf("html part:\n%s", html)
	}
	if s := e.statuses(); s["sent"] != 1 || len(s) != 1 {
		t.Errorf("statuses %v", s)
	}
}

func TestLanguagesAndTranslations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.alertGroup("immediate", "UTC")
	de, nl := e.language("de"), e.language("nl")
	e.recipient(g, "de@example.test", de, true)
	e.recipient(g, "nl@example.test", nl, true)
	e.recipient(g, "en@example.test", nil, true)
	e.exec("INSERT INTO translations (user_group, key, language, value) VALUES (?, 'alert.status.started', ?, 'STÖRUNG')",
		e.group, *de)
	e.enqueue(e.event(g, notify.AlertStarted))
	e.drain()

	tests := []struct{ name, to, subject, body string }{
		{"German with the tenant's override", "de@example.test", "[STÖRUNG] Coin jam", "Der Beobachter Coin jam"},
		{"Dutch", "nl@example.test", "[Actief] Coin jam: Kiosk 12 bij Centraal Station", "Open de melding"},
		{"English by default", "en@example.test", "[Firing] Coin jam: Kiosk 12 at Centraal Station", "Open the alert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := e.smtp.To(tt.to)
			if len(ms) != 1 {
				t.Fatalf("%d mails to %s", len(ms), tt.to)
			}
			text, _ := ms[0].Parts()
			if !strings.HasPrefix(ms[0].Subject, tt.subject) || !strings.Contains(text, tt.body) {
				t.Errorf("subject %q, text:\n%s", ms[0].Subject, text)
			}
		})
	}
}

func TestSMTPDownThenUpDeliversEachOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.enqueueN(30)
	e.smtp.Stop()
	e.drain()
	if s := e.statuses(); s["pending"] != 30 {
		t.Fatalf("after a failed drain: %v", s)
	}
	var lastError string
	e.db.Raw("SELECT last_error FROM outbox LIMIT 1").Scan(&lastError)
	if lastError == "" {
		t.Error("no lastError while the server is down")
	}
	e.drain()      // not due yet: nothing happens
	for range 20 { // a long outage spends no attempts and fails nothing
		e.advance(30 * time.Minute)
		e.drain()
	}
	if s := e.statuses(); s["pending"] != 30 {
		t.Fatalf("after a 10-hour outage: %v", s)
	}
	e.smtp.Restart(t)
	e.drain()
	if e.smtp.Count() != 0 {
		t.Fatalf("sent before the backoff ended")
	}
	e.advance(2 * time.Minute)
	e.drain()
	e.exactlyOnce(30)
	if s := e.statuses(); s["sent"] != 30 {
		t.Errorf("statuses %v", s)
	}
	var attempts int
	e.db.Raw("SELECT max(attempts) FROM outbox").Scan(&attempts)
	if attempts != 1 {
		t.Errorf("attempts %d, want 1: an unreachable server costs no attempt", attempts)
	}
}

func TestPermanentAndTemporaryRejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.d.MaxAttempts = 3
	e.smtp.Reject("user1@example.test", 550)
	e.smtp.Reject("user2@example.test", 451)
	e.enqueueN(3)
	for range 4 {
		e.drain()
		e.advance(3 * time.Hour)
	}
	var rows []struct {
		ToAddress, Status, LastError string
		Attempts                     int
	}
	e.db.Raw("SELECT to_address, status, last_error, attempts FROM outbox ORDER BY id").Scan(&rows)
	if rows[0].Status != "failed" || rows[0].Attempts != 1 || !strings.Contains(rows[0].LastError, "550") {
		t.Errorf("5xx: %+v, want failed after 1 attempt", rows[0])
	}
	if rows[1].Status != "failed" || rows[1].Attempts != 3 || !strings.Contains(rows[1].LastError, "451") {
		t.Errorf("4xx: %+v, want failed after 3 attempts", rows[1])
	}
	if rows[2].Status != "sent" {
		t.Errorf("good address: %+v", rows[2])
	}
}

// A worker that dies after sending and before recording leaves its rows to
// be sent again once the lease runs out: delivered, at most twice, with the
// same Message-ID both times.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.enqueueN(5)
	ctx, cancel := context.WithCancel(context.Background())
	crashing := &crashChannel{Channel: e.d.Channel, after: 3, cancel: cancel}
	dead := *e.d
	dead.Channel = crashing
	_ = dead.Drain(ctx) // sends 3, then its context dies before recording the third
	if s := e.statuses(); s["sent"] == 5 {
		t.Fatalf("the crash did not happen: %v", s)
	}
	e.drain() // the lease still holds: nothing is sent twice yet
	before := e.smtp.Count()
	e.advance(6 * time.Minute)
	e.drain()
	if s := e.statuses(); s["sent"] != 5 {
		t.Fatalf("statuses %v", s)
	}
	seen := map[string]int{}
	for _, m := range e.smtp.Mails() {
		seen[m.MessageID]++
	}
	if len(seen) != 5 {
		t.Errorf("%d distinct Message-IDs, want 5", len(seen))
	}
	for id, n := range seen {
		if n > 2 {
			t.Errorf("%s received %d times", id, n)
		}
	}
	t.Logf("%d mails before recovery, %d after, %d distinct", before, e.smtp.Count(), len(seen))
}

// crashChannel cancels the worker's context right after the after-th send.
type crashChannel struct {
	notify.Channel
	after  int
	cancel func()
	mu     sync.Mutex
	sent   int
}

func (c *crashChannel) Open(ctx context.Context) (notify.Session, error) {
	s, err := c.Channel.Open(ctx)
	return &crashSession{Session: s, c: c}, err
}

type crashSession struct {
	notify.Session
	c *crashChannel
}

func (s *crashSession) Send(ctx context.Context, e notify.Envelope) (bool, bool, error) {
	retry, broken, err := s.Session.Send(ctx, e)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.c.sent++; s.c.sent == s.c.after {
		s.c.cancel()
	}
	return retry, broken, err
}

func TestTwoWorkersNoDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.enqueueN(400)
	e.d.BatchSize = 20
	other := *e.d
	other.Channel = e.smtp.Channel(t)
	var wg sync.WaitGroup
	for _, d := range []*notify.Deliverer{e.d, &other} {
		wg.Go(func() {
			if err := d.Drain(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e.exactlyOnce(400)
}

func TestNoChannelShowsUndeliverable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.enqueueN(2)
	e.d.Channel = nil
	e.drain()
	var errs []string
	e.db.Raw("SELECT last_error FROM outbox WHERE status = 'pending'").Scan(&errs)
	if len(errs) != 2 || errs[0] != "no SMTP_URL configured" {
		t.Errorf("last errors %q", errs)
	}
}

func TestMessageIDIsStable(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	a, b := notify.MessageID(42, at), notify.MessageID(42, at)
	if a != b || !strings.HasPrefix(a, "outbox-42.") || notify.MessageID(43, at) == a {
		t.Errorf("ids %q %q", a, b)
	}
}
