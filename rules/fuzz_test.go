package rules

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// FuzzExpression compiles any source as each kind and evaluates what
// compiles against small environments under the default limits. It must
// never panic, must fail only with a coded error, and must stop within a
// bound far above the 20 ms deadline (the bound catches an evaluation that
// ignores the limits, not a slow machine).
//
//	go test -run '^$' -fuzz '^FuzzExpression$' -fuzztime 5s ./rules/
func FuzzExpression(f *testing.F) {
	for _, seed := range []string{
		referenceRule, `len(uniq(1..99999)) > 0`, `len(uniq(1..15000)) > 0`,
		`let a = 1..1000; any(a, any(a, any(a, # < 0)))`, `reduce(1..40, #acc + #acc, "0123456789") == ""`,
		`sort(1..50000)[0] == 1`, `len(sortBy(1..50000, -#)) > 0`, `len(groupBy(1..50000, # % 3)) > 0`,
		`event.code matches "^E[0-9]+$"`, `event.extraData.x in 1..10`, `string(1..99999) != ""`,
		`split(event.code + event.code, "") == [event.code]`, `indexOf(event.code, "4") >= 0`,
		`event.occurredAt.Format(event.code) != ""`, `(1..1000 | map(# * 2) | filter(# > 5) | len()) > 0`,
		`weekday(now) <= 5 && between(now, "07:00", "10:00")`, `voucher.value * 2`, `min(demand.amount, voucher.balance) * 0.5`,
		`event?.extraData?.x ?? 1 > 0`, `upper(trim(event.code)) startsWith "E"`, `1..3 == [1, 2, 3]`,
	} {
		f.Add(seed)
	}
	cond := &ConditionEnv{Event: Event{Code: "E42", ExtraData: map[string]any{"x": 3.0, "l": []any{1.0, "a"}}},
		Transaction: Transaction{Methods: []string{"cash"}}}
	red := &RedemptionEnv{Order: Order{Amount: 250, Items: []OrderItem{{ProductID: "42", Quantity: 1, Price: 250}}},
		Now: time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, src string) {
		for _, kind := range []Kind{KindRedemption, KindValue, KindCondition} {
			if len(src) > MaxSourceBytes {
				return // refused by Compile before compile runs
			}
			p, err := compile(kind, src)
			if err != nil {
				requireCoded(t, src, err)
				continue
			}
			var env any = red
			if kind == KindCondition {
				env = cond
			}
			start := time.Now()
			_, err = p.run(context.Background(), env)
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("%s %q ran for %v", kind, src, d)
			}
			if err != nil {
				requireCoded(t, src, err)
			}
		}
	})
}

// requireCoded fails unless err is a *models.Error: an uncoded error would
// reach a client as a 500.
func requireCoded(t *testing.T, src string, err error) {
	t.Helper()
	var e *models.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: uncoded error %v (%T)", src, err, err)
	}
}
