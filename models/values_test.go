package models_test

import (
	"encoding/json"
	"testing"

	"github.com/vendrule/vendrule/models"
)

func TestBoolReadsSeedFlags(t *testing.T) {
	tests := []struct {
		name, in string
		want     models.Bool
		ok       bool
	}{
		{"true", "true", true, true},
		{"false", "false", false, true},
		{"one", "1", true, true},
		{"zero", "0", false, true},
		{"two", "2", false, false},
		{"string", `"1"`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b models.Bool
			err := json.Unmarshal([]byte(tt.in), &b)
			if (err == nil) != tt.ok || b != tt.want {
				t.Fatalf("%s: got %v, %v", tt.in, b, err)
			}
		})
	}
	out, _ := json.Marshal(struct{ A models.Bool }{true})
	if string(out) != `{"A":true}` {
		t.Fatalf("marshal: %s", out)
	}
}

func TestCurrencyReadsLettersAndNumbers(t *testing.T) {
	tests := []struct {
		name, in string
		want     models.Currency
		valid    bool
	}{
		{"letters", `"EUR"`, "EUR", true},
		{"lower case", `"usd"`, "USD", true},
		{"number", `978`, "EUR", true},
		{"number as text", `"826"`, "GBP", true},
		{"unknown number", `999`, "#999", false},
		{"zero", `0`, "#0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c models.Currency
			if err := json.Unmarshal([]byte(tt.in), &c); err != nil {
				t.Fatal(err)
			}
			if c != tt.want || c.Valid() != tt.valid {
				t.Fatalf("%s: got %q valid=%v", tt.in, c, c.Valid())
			}
		})
	}
}

func TestNormalizeDateTakesTheDayInTheZone(t *testing.T) {
	tests := []struct {
		name, in, zone, want string
		ok                   bool
	}{
		{"date", "2026-12-31", "Europe/Amsterdam", "2026-12-31", true},
		{"midnight Amsterdam in UTC", "2026-12-30T23:00:00Z", "Europe/Amsterdam", "2026-12-31", true},
		{"with offset", "2026-12-31T23:59:59+01:00", "Europe/Amsterdam", "2026-12-31", true},
		{"same instant, New York", "2026-12-31T03:00:00Z", "America/New_York", "2026-12-30", true},
		{"not a date", "31-12-2026", "UTC", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.in
			err := models.NormalizeDate("expiresOn", &d, tt.zone)
			if (err == nil) != tt.ok || (tt.ok && d != tt.want) {
				t.Fatalf("got %q, %v", d, err)
			}
		})
	}
}

func TestDropFieldsIsCaseInsensitiveAndKeepsOthers(t *testing.T) {
	got := string(models.DropFields([]byte(`{"id":3,"usergroup":1,"name":"x"}`), []string{"id", "userGroup"}))
	if got != `{"name":"x"}` {
		t.Fatalf("got %s", got)
	}
	if got := string(models.DropFields([]byte(`[1]`), []string{"id"})); got != `[1]` {
		t.Fatalf("array changed: %s", got)
	}
}
