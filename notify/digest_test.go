package notify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/notify"
)

func TestDigestOnCronInGroupTimeZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.alertGroup("0 8 * * *", "Europe/Amsterdam") // 08:00 in Amsterdam = 07:00 UTC in winter
	e.recipient(g, "en@example.test", nil, true)
	e.recipient(g, "de@example.test", e.language("de"), true)
	e.recipient(g, "off@example.test", nil, false)
	e.exec("UPDATE alert_groups SET last_digest_at = ? WHERE id = ?", time.Date(2030, 3, 1, 7, 0, 0, 0, time.UTC), g)
	at := func(s string) { e.now.Store(mustTime(t, s).UnixNano()) }
	digests := func() {
		t.Helper()
		if err := e.d.Digests(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.drain()
	}

	at("2030-03-01T09:00:00Z")
	e.enqueue(e.event(g, notify.AlertStarted))
	resolved := e.event(g, notify.AlertResolved)
	e.enqueue(resolved)
	digests()
	if n := e.smtp.Count(); n != 0 {
		t.Fatalf("%d mails before the tick", n)
	}

	at("2030-03-02T06:59:00Z") // 07:59 in Amsterdam
	digests()
	if n := e.smtp.Count(); n != 0 {
		t.Fatalf("%d mails before 08:00 Amsterdam", n)
	}

	at("2030-03-02T07:00:30Z")
	var wg sync.WaitGroup // two replicas at once build one digest
	for range 2 {
		wg.Go(func() { _ = e.d.Digests(context.Background()) })
	}
	wg.Wait()
	e.drain()
	if n := e.smtp.Count(); n != 2 {
		t.Fatalf("%d mails at the tick, want one per active recipient", n)
	}
	en, de := e.smtp.To("en@example.test"), e.smtp.To("de@example.test")
	if len(en) != 1 || len(de) != 1 {
		t.Fatalf("en %d, de %d", len(en), len(de))
	}
	text, _ := en[0].Parts()
	if !strings.Contains(en[0].Subject, "2 alert changes") || !strings.Contains(text, "[Firing]") ||
		!strings.Contains(text, "[Resolved]") || !strings.Contains(text, "since 2030-03-01 08:00 CET") {
		t.Errorf("digest %q:\n%s", en[0].Subject, text)
	}
	if !strings.Contains(de[0].Subject, "2 Alarmänderungen") {
		t.Errorf("German digest subject %q", de[0].Subject)
	}
	var last time.Time
	e.db.Raw("SELECT last_digest_at FROM alert_groups WHERE id = ?", g).Scan(&last)
	if !last.Equal(mustTime(t, "2030-03-02T07:00:00Z")) {
		t.Errorf("last_digest_at %v", last)
	}

	at("2030-03-03T07:05:00Z") // the next tick with nothing new: no email
	digests()
	if n := e.smtp.Count(); n != 2 {
		t.Errorf("an empty digest was sent: %d mails", n)
	}
	e.db.Raw("SELECT last_digest_at FROM alert_groups WHERE id = ?", g).Scan(&last)
	if !last.Equal(mustTime(t, "2030-03-03T07:00:00Z")) {
		t.Errorf("last_digest_at after an empty tick %v", last)
	}
}

func TestValidateSchedule(t *testing.T) {
	for _, s := range []string{"immediate", "0 8 * * 1-5", "*/15 * * * *", "@daily"} {
		if err := notify.ValidateSchedule(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "sometimes", "0 8 * *", "61 * * * *", "TZ=UTC 0 8 * * *", "0 0 8 * * *"} {
		if err := notify.ValidateSchedule(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
