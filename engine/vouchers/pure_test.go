package vouchers

import (
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func TestPeriodStart(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		t    time.Time
		freq string
		want string
	}{
		{"day", at("2026-06-10 12:00"), models.ResetDay, "2026-06-10 00:00 +0200"},
		{"day just before midnight", at("2026-06-10 23:59"), models.ResetDay, "2026-06-10 00:00 +0200"},
		{"day after spring DST", at("2026-03-29 03:30"), models.ResetDay, "2026-03-29 00:00 +0100"},
		{"day after autumn DST", at("2026-10-25 23:00"), models.ResetDay, "2026-10-25 00:00 +0200"},
		{"week from Monday", at("2026-06-14 20:00"), models.ResetWeek, "2026-06-08 00:00 +0200"},
		{"week on Monday", at("2026-06-08 00:00"), models.ResetWeek, "2026-06-08 00:00 +0200"},
		{"week across DST", at("2026-03-29 12:00"), models.ResetWeek, "2026-03-23 00:00 +0100"},
		{"month", at("2026-10-31 23:59"), models.ResetMonth, "2026-10-01 00:00 +0200"},
		{"utc instant is zoned", time.Date(2026, 6, 9, 22, 30, 0, 0, time.UTC), models.ResetDay, "2026-06-10 00:00 +0200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PeriodStart(tt.t, tt.freq, ams)
			if got == nil || got.Format("2006-01-02 15:04 -0700") != tt.want {
				t.Fatalf("PeriodStart = %v, want %s", got, tt.want)
			}
		})
	}
	if PeriodStart(at("2026-06-10 12:00"), models.ResetNever, ams) != nil {
		t.Fatal("never must have no period")
	}
}

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		c, err := NewCode("AB1")
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(c, "AB1-")
		if !ok || len(body) != CodeLength {
			t.Fatalf("code %q: want AB1- and %d symbols", c, CodeLength)
		}
		for _, r := range body {
			if !strings.ContainsRune(CodeAlphabet, r) || strings.ContainsRune("0O1IL", r) {
				t.Fatalf("code %q has symbol %q", c, r)
			}
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
	}
	if c, _ := NewCode(""); len(c) != CodeLength {
		t.Fatalf("code without prefix %q", c)
	}
}

func TestEffective(t *testing.T) {
	c := &models.Campaign{Type: "discount", VoucherValue: 100, ValueType: "cents", RedemptionLimit: 3,
		ResetFrequency: "day", TimeZone: "Europe/Amsterdam", ExpiresOn: ptr("2026-12-31"),
		ValidationRules: models.ValidationRules{{Field: "location", Value: "1"}},
		RedemptionRules: models.RedemptionRules{{Name: "c", Expr: "true"}}}
	tests := []struct {
		name  string
		v     models.Voucher
		value int64
		limit int64
		rules int
		valid int
		inh   int
	}{
		{"inherits all", models.Voucher{}, 100, 3, 1, 1, 8},
		{"own value and limit", models.Voucher{Value: ptr[int64](5), RedemptionLimit: ptr[int64](0)}, 5, 0, 1, 1, 6},
		{"own rules add, own validation replaces", models.Voucher{
			RedemptionRules: models.RedemptionRules{{Name: "v", Expr: "true"}},
			ValidationRules: models.ValidationRules{}}, 100, 3, 2, 0, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Effective(c, &tt.v)
			if s.Value != tt.value || s.RedemptionLimit != tt.limit || len(s.RedemptionRules) != tt.rules ||
				len(s.ValidationRules) != tt.valid || len(s.Inherited) != tt.inh {
				t.Fatalf("Effective = %+v", s)
			}
		})
	}
}

func TestMatchPlace(t *testing.T) {
	p := Place{MachineID: 7, Hostname: "h7", MachineGroups: []int64{3}, LocationID: 10,
		LocationExternalRef: "xyz", LocationGroups: []int64{4}}
	r := func(kv ...string) models.ValidationRules {
		var out models.ValidationRules
		for i := 0; i < len(kv); i += 2 {
			out = append(out, models.ValidationRule{Field: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name  string
		rules models.ValidationRules
		want  bool
	}{
		{"no rules", nil, true},
		{"location", r("location", "10"), true},
		{"other location", r("location", "11"), false},
		{"OR within a field", r("location", "11", "location", "10"), true},
		{"AND across fields", r("location", "10", "machine", "8"), false},
		{"AND across fields, both hold", r("location", "10", "machineGroup", "3"), true},
		{"external ref", r("locationExternalRef", "xyz"), true},
		{"location group", r("locationGroup", "5"), false},
		{"machine by hostname", r("machine", "h7"), true},
		{"product rules do not restrict the place", r("product", "5"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchPlace(tt.rules, p); got != tt.want {
				t.Fatalf("MatchPlace = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAmountOff(t *testing.T) {
	order := &Order{ID: "o", Items: []OrderItem{{ProductID: "5", Quantity: 2, Price: 150}, {ProductID: "9", Quantity: 1, Price: 100}}}
	products := map[string]bool{"5": true}
	tests := []struct {
		name    string
		s       Settings
		balance int64
		ask     Ask
		want    int64
	}{
		{"cents, no order", Settings{Type: "discount", Value: 80, ValueType: "cents"}, 0, Ask{}, 80},
		{"cents capped by eligible", Settings{Type: "discount", Value: 500, ValueType: "cents"}, 0,
			Ask{Order: order, Eligible: EligibleAmount(products, order)}, 300},
		{"percent of eligible", Settings{Type: "discount", Value: 10, ValueType: "percent"}, 0,
			Ask{Order: order, Eligible: EligibleAmount(nil, order)}, 40},
		{"gift demand under balance", Settings{Type: "gift"}, 500, Ask{Demand: &Demand{Amount: 120}}, 120},
		{"gift demand over balance", Settings{Type: "gift"}, 50, Ask{Demand: &Demand{Amount: 120}}, 50},
		{"gift without demand is balance", Settings{Type: "gift"}, 70, Ask{}, 70},
		{"dynamic clamped to eligible", Settings{Type: "dynamic"}, 0, Ask{Order: order, Eligible: 100, Dynamic: 250.4}, 100},
		{"dynamic negative is zero", Settings{Type: "dynamic"}, 0, Ask{Order: order, Eligible: 100, Dynamic: -3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AmountOff(tt.s, tt.balance, tt.ask); got != tt.want {
				t.Fatalf("AmountOff = %d, want %d", got, tt.want)
			}
		})
	}
}
