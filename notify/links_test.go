package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// The links in alert emails and digests lead to the configured console.
func TestLinksLeadToTheConfiguredConsole(t *testing.T) {
	ev := AlertEvent{AlertID: 42, Kind: AlertStarted, ObserverName: "jam", MachineName: "m", LocationName: "l",
		TimeZone: "Europe/Amsterdam", StartedAt: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
	g := &models.AlertGroup{Name: "ops"}
	texts := Texts{Lang: fallback}
	m, err := alertMessage(ev, g, "a@example.test", texts, "https://console.example")
	if err != nil || !strings.Contains(m.Text, "https://console.example/alerts/42") {
		t.Fatalf("alert message: %v\n%s", err, m.Text)
	}
	d, err := digestMessage(g, []AlertEvent{ev}, ev.StartedAt, "a@example.test", texts, "https://console.example")
	if err != nil || !strings.Contains(d.Text, "https://console.example/alerts/42") {
		t.Fatalf("digest: %v\n%s", err, d.Text)
	}
	if consoleOr("") != DefaultConsoleURL {
		t.Fatal("no console address must mean the default")
	}
}
