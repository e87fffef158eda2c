package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/notify"
)

// A test email is sent at once, not at the next tick, when the service has a
// deliverer.
func TestSendTestGoesOutNow(t *testing.T) {
	e := newEnv(t)
	g := e.alertGroup("0 8 * * *", "Europe/Amsterdam") // a digest group: test emails skip the digest
	e.recipient(g, "ann@example.test", e.language("en"), true)
	e.recipient(g, "bob@example.test", e.language("en"), false)
	svc := &notify.Service{DB: e.db, Deliverer: e.d}
	n, err := svc.SendTest(context.Background(), models.Scope{GroupID: e.group, Groups: []int64{e.group}}, g)
	if err != nil || n != 1 {
		t.Fatalf("SendTest = %d, %v; want 1 recipient", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.smtp.Count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the send runs in the background
	}
	if got := len(e.smtp.To("ann@example.test")); got != 1 {
		t.Fatalf("ann got %d emails, want 1", got)
	}
	if got := len(e.smtp.To("bob@example.test")); got != 0 {
		t.Errorf("inactive bob got %d emails", got)
	}
}
