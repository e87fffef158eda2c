package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// referenceRule is a typical six-clause redemption rule.
const referenceRule = `order.amount >= 200 && hour(now) >= 7 && weekday(now) <= 5 && location.country == "NL" && voucher.redemptionCount < 5 && any(order.items, .productId == "42")`

// referenceEnv returns an environment in which referenceRule holds: Monday
// 2026-03-02 08:15 in Amsterdam.
func referenceEnv(t testing.TB) *RedemptionEnv {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return &RedemptionEnv{
		Device:   Device{ID: "vm-0042"},
		Machine:  Machine{ID: 42, Name: "Hall", Hostname: "vm-0042", Tag: "coffee", MachineGroups: []int64{1, 7}},
		Location: Location{ID: 3, Name: "Station", City: "Utrecht", Country: "NL", TimeZone: "Europe/Amsterdam", LocationGroups: []int64{2}},
		Order: Order{ID: "o-1", Amount: 250, Items: []OrderItem{
			{ProductID: "17", Quantity: 1, Price: 100},
			{ProductID: "42", Quantity: 1, Price: 150},
		}},
		Demand:   Demand{Amount: 250},
		Voucher:  Voucher{ID: "v-1", Code: "ABC", Type: "value", Value: 500, Balance: 500, RedemptionCount: 2, RedemptionLimit: 5},
		Campaign: Campaign{ID: 9, Name: "Spring", Type: "promo"},
		Now:      time.Date(2026, 3, 2, 8, 15, 0, 0, loc),
	}
}

// mustCompile compiles src or fails the test.
func mustCompile(t testing.TB, kind Kind, src string) *Program {
	t.Helper()
	p, err := Compile(kind, src)
	if err != nil {
		t.Fatalf("Compile(%s, %q): %v", kind, src, err)
	}
	return p
}

// wantCode fails the test unless err is a *models.Error with code.
func wantCode(t *testing.T, err error, code string) *models.Error {
	t.Helper()
	var e *models.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *models.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code = %q, want %q (message %q)", e.Code, code, e.Message)
	}
	return e
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{KindRedemption, KindValue, KindCondition} {
		if got, err := ParseKind(string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	_, err := ParseKind("alert")
	wantCode(t, err, models.EINVALID)
}

func TestCompileErrorPosition(t *testing.T) {
	tests := []struct {
		src  string
		want Position
		msg  string
	}{
		{"order.amount > 1 && foo", Position{1, 21}, "line 1, column 21: unknown name foo"},
		{"order.amount > 1 &&\n  foo", Position{2, 3}, "line 2, column 3: unknown name foo"},
		{"order.amount >=", Position{1, 15}, "unexpected token EOF"},
		{`between(now, "7am", "10:00")`, Position{1, 14}, `time of day "7am" is not in the form HH:MM`},
		{`hour("08:00") > 7`, Position{1, 6}, "cannot use string as argument"},
		{"   ", Position{1, 1}, "expression is empty"},
	}
	for _, tt := range tests {
		_, err := Compile(KindRedemption, tt.src)
		e := wantCode(t, err, models.EEXPRESSION)
		if !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%q: message %q does not contain %q", tt.src, e.Message, tt.msg)
		}
		if e.Fields["expr"] != e.Message {
			t.Errorf("%q: Fields[expr] = %q, want the message", tt.src, e.Fields["expr"])
		}
		if pos, ok := ErrorPosition(err); !ok || pos != tt.want {
			t.Errorf("%q: ErrorPosition = %+v, %v; want %+v", tt.src, pos, ok, tt.want)
		}
	}
	if _, ok := ErrorPosition(errors.New("line 1, column 2: x")); ok {
		t.Error("ErrorPosition accepted a plain error")
	}
}

func TestCompileRejectsUnknownField(t *testing.T) {
	_, err := Compile(KindRedemption, "order.amout > 3")
	e := wantCode(t, err, models.EEXPRESSION)
	if want := "line 1, column 7: order has no field amout"; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	// Condition expressions do not see the order, nor redemption ones the event.
	_, err = Compile(KindCondition, "order.amount > 3")
	wantCode(t, err, models.EEXPRESSION)
	_, err = Compile(KindRedemption, `event.code == "E1"`)
	wantCode(t, err, models.EEXPRESSION)
}

func TestCompileRejectsWrongResultType(t *testing.T) {
	for _, tt := range []struct {
		kind Kind
		src  string
	}{
		{KindRedemption, "order.amount"},
		{KindCondition, "transaction.price * 2"},
		{KindValue, `voucher.code`},
		{KindValue, `order.amount > 3`},
	} {
		_, err := Compile(tt.kind, tt.src)
		e := wantCode(t, err, models.EEXPRESSION)
		if !strings.Contains(e.Message, "expected") {
			t.Errorf("%s %q: message %q", tt.kind, tt.src, e.Message)
		}
	}
}

func TestCompileRejectsDisabledBuiltins(t *testing.T) {
	for _, src := range []string{`repeat("x", 3) == "xxx"`, `now() > now`, `len(toJSON(order)) > 0`} {
		_, err := Compile(KindRedemption, src)
		wantCode(t, err, models.EEXPRESSION)
	}
}

func TestCompileRejectsHugeExpressions(t *testing.T) {
	long := "order.amount > 0" + strings.Repeat(" ", MaxSourceBytes)
	_, err := Compile(KindRedemption, long)
	e := wantCode(t, err, models.EINVALID)
	if e.Message != "expression is longer than 4096 bytes" {
		t.Errorf("message %q", e.Message)
	}

	wide := strings.Repeat("1+", 400) + "1 > 0" // 803 nodes, 805 bytes
	_, err = Compile(KindRedemption, wide)
	e = wantCode(t, err, models.EEXPRESSION)
	if !strings.Contains(e.Message, "maximum allowed nodes") {
		t.Errorf("message %q", e.Message)
	}
}

func TestCompileCaches(t *testing.T) {
	a := mustCompile(t, KindRedemption, referenceRule)
	b := mustCompile(t, KindRedemption, referenceRule)
	if a != b {
		t.Error("second Compile returned a different *Program")
	}
	if a.Source() != referenceRule || a.Kind() != KindRedemption {
		t.Errorf("Source/Kind = %q, %q", a.Source(), a.Kind())
	}
	v := mustCompile(t, KindValue, "order.amount")
	w := mustCompile(t, KindValue, "order.amount")
	if v != w {
		t.Error("value programs are not cached")
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := &programCache{m: make(map[cacheKey]*Program), max: 3}
	for i := 0; i < 10; i++ {
		c.add(cacheKey{KindValue, strings.Repeat("1", i+1)}, &Program{})
	}
	if n := c.len(); n != 3 {
		t.Errorf("cache holds %d programs, want 3", n)
	}
}

func TestReferenceRule(t *testing.T) {
	p := mustCompile(t, KindRedemption, referenceRule)
	env := referenceEnv(t)
	ok, err := p.Bool(context.Background(), env)
	if err != nil || !ok {
		t.Fatalf("Bool = %v, %v; want true", ok, err)
	}
	// Each clause on its own can make the rule fail.
	breakers := []func(e *RedemptionEnv){
		func(e *RedemptionEnv) { e.Order.Amount = 199 },
		func(e *RedemptionEnv) { e.Now = e.Now.Add(-2 * time.Hour) },
		func(e *RedemptionEnv) { e.Now = e.Now.AddDate(0, 0, 5) },
		func(e *RedemptionEnv) { e.Location.Country = "BE" },
		func(e *RedemptionEnv) { e.Voucher.RedemptionCount = 5 },
		func(e *RedemptionEnv) { e.Order.Items = e.Order.Items[:1] },
	}
	for i, breakIt := range breakers {
		e := *env
		breakIt(&e)
		// Pass a value this time: both forms are accepted.
		ok, err := p.Bool(context.Background(), e)
		if err != nil || ok {
			t.Errorf("clause %d: Bool = %v, %v; want false", i+1, ok, err)
		}
	}
}

func TestHelpersInExpressions(t *testing.T) {
	env := referenceEnv(t) // Monday 08:15
	for src, want := range map[string]bool{
		`between(now, "07:00", "10:00")`:                       true,
		`between(now, "22:00", "02:00")`:                       false,
		`weekday(now) == 1 && minute(now) == 15`:               true,
		`date(now) == "2026-03-02"`:                            true,
		`daysSince(now, now) == 0`:                             true,
		`machine.id in [42, 43] && 7 in machine.machineGroups`: true,
		`device.id + "-" + machine.tag == "vm-0042-coffee"`:    true,
	} {
		p := mustCompile(t, KindRedemption, src)
		if got, err := p.Bool(context.Background(), env); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestValue(t *testing.T) {
	env := referenceEnv(t)
	for src, want := range map[string]float64{
		"order.amount":                             250,
		"order.amount * 0.1":                       25,
		"min(voucher.balance, demand.amount)":      250,
		"sum(order.items, .price * .quantity) / 2": 125,
	} {
		p := mustCompile(t, KindValue, src)
		if got, err := p.Number(context.Background(), env); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestCondition(t *testing.T) {
	env := &ConditionEnv{
		Event: Event{Code: "E42", Type: 3, ExtraData: map[string]any{"temperature": 9.5, "door": "open"},
			OccurredAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)},
		Machine: Machine{ID: 1, Name: "Hall"},
	}
	for src, want := range map[string]bool{
		`event.code == "E42" && event.extraData.temperature > 8`: true,
		`event.extraData.door + "!" == "open!"`:                  true,
		`event.extraData.temperature + 1 > 10`:                   true,
		`event.resolvedAt.IsZero()`:                              true,
		`hour(event.occurredAt) == 8 && transaction.price == 0`:  true,
	} {
		p := mustCompile(t, KindCondition, src)
		if got, err := p.Bool(context.Background(), env); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	env := &ConditionEnv{Event: Event{ExtraData: map[string]any{"n": "x"}}}
	p := mustCompile(t, KindCondition, `event.extraData.n > 3`)
	_, err := p.Bool(context.Background(), env)
	e := wantCode(t, err, models.EINVALID)
	if !strings.HasPrefix(e.Message, "rule evaluation failed: ") {
		t.Errorf("message %q", e.Message)
	}
	// A program evaluated against the wrong environment is a bug of the caller.
	_, err = p.Bool(context.Background(), referenceEnv(t))
	var me *models.Error
	if err == nil || errors.As(err, &me) {
		t.Errorf("wrong environment: %v, want an internal error", err)
	}
}

func TestPathologicalEvaluationIsStopped(t *testing.T) {
	tests := []struct {
		src, msg string
	}{
		// A range larger than the VM's memory budget.
		{`len(map(1..1000000, map(1..1000000, #))) > 0`, "memory budget exceeded"},
		// Nested loops over a small range: 10^9 iterations. Under the race
		// detector the deadline may come first.
		{`let a = 1..1000; any(a, any(a, any(a, # < 0)))`, "too many iterations|took too long"},
		// Doubling a string 40 times would need a terabyte.
		{`let s = "0123456789"; reduce(1..40, #acc + #acc, s) == ""`, "strings too long"},
	}
	for _, tt := range tests {
		p := mustCompile(t, KindRedemption, tt.src)
		start := time.Now()
		_, err := p.Bool(context.Background(), referenceEnv(t))
		e := wantCode(t, err, models.EINVALID)
		if !regexp.MustCompile(tt.msg).MatchString(e.Message) {
			t.Errorf("%s: message %q does not match %q", tt.src, e.Message, tt.msg)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: stopped after %v", tt.src, d)
		}
	}
}

func TestDeadline(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxIterations = 1 << 62
	lim.Timeout = 20 * time.Millisecond
	limited := WithLimits(context.Background(), lim)

	p := mustCompile(t, KindRedemption, `let a = 1..1000; any(a, any(a, any(a, # < 0)))`)
	start := time.Now()
	_, err := p.Bool(limited, referenceEnv(t))
	d := time.Since(start)
	e := wantCode(t, err, models.EINVALID)
	if !strings.Contains(e.Message, "took too long") {
		t.Errorf("message %q", e.Message)
	}
	if d > 200*time.Millisecond {
		t.Errorf("stopped after %v, want about 20ms", d)
	}

	// A cancelled context stops evaluation before it starts.
	ctx, cancel := context.WithCancel(limited)
	cancel()
	_, err = p.Bool(ctx, referenceEnv(t))
	if e := wantCode(t, err, models.EINVALID); !strings.Contains(e.Message, "canceled") {
		t.Errorf("message %q", e.Message)
	}
}

func TestConcurrentEvaluation(t *testing.T) {
	p := mustCompile(t, KindRedemption, referenceRule)
	base := referenceEnv(t)
	// what is tested is the result; a 20 ms deadline would also test the
	// scheduling of 32 goroutines on a busy machine
	lim := DefaultLimits()
	lim.Timeout = 10 * time.Second
	ctx := WithLimits(context.Background(), lim)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			env := *base
			env.Order.Amount = int64(150 + g*10) // at least 200 from g = 5 on
			want := env.Order.Amount >= 200
			for i := 0; i < 500; i++ {
				got, err := p.Bool(ctx, &env)
				if err != nil || got != want {
					errs <- fmt.Errorf("wrong result under concurrency: %v, %v", got, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestConcurrentCompile(t *testing.T) {
	var wg sync.WaitGroup
	progs := make([]*Program, 16)
	for i := range progs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			progs[i], _ = Compile(KindRedemption, `order.amount > 12345`)
		}(i)
	}
	wg.Wait()
	for _, p := range progs {
		if p == nil || p != progs[0] {
			t.Fatal("concurrent Compile returned different programs")
		}
	}
}

func TestCheck(t *testing.T) {
	sample := json.RawMessage(`{
		"order": {"amount": 250, "items": [{"productId": "42", "quantity": 1, "price": 250}]},
		"location": {"country": "NL"},
		"voucher": {"redemptionCount": 1},
		"now": "2026-03-02T08:15:00+01:00"
	}`)
	got, err := Check(context.Background(), 1, KindRedemption, referenceRule, sample)
	if err != nil || got != true {
		t.Fatalf("Check = %v, %v; want true", got, err)
	}
	got, err = Check(context.Background(), 1, KindValue, "order.amount / 2", sample)
	if err != nil || got != 125.0 {
		t.Fatalf("Check value = %v, %v; want 125", got, err)
	}
	got, err = Check(context.Background(), 1, KindRedemption, referenceRule, nil)
	if err != nil || got != nil {
		t.Fatalf("Check without sample = %v, %v", got, err)
	}
	got, err = Check(context.Background(), 1, KindCondition, `event.extraData.temperature > 8`,
		json.RawMessage(`{"event": {"code": "E1", "extraData": {"temperature": 9}}}`))
	if err != nil || got != true {
		t.Fatalf("Check condition = %v, %v", got, err)
	}
}

func TestCheckRejectsBadSamples(t *testing.T) {
	tests := []struct {
		sample, field string
	}{
		{`{"order": {"amout": 3}}`, "amout"},
		{`{"order": {"amount": "3"}}`, "order.amount"},
		{`{"now": "yesterday"}`, "sample"},
		{`{} {}`, "sample"},
	}
	for _, tt := range tests {
		_, err := Check(context.Background(), 1, KindRedemption, "order.amount > 1", json.RawMessage(tt.sample))
		e := wantCode(t, err, models.EINVALID)
		if _, ok := e.Fields[tt.field]; !ok {
			t.Errorf("%s: error %q does not name field %q (fields %v)", tt.sample, e.Message, tt.field, e.Fields)
		}
	}
	_, err := Check(context.Background(), 1, KindRedemption, "order.amout > 1", json.RawMessage(`{}`))
	wantCode(t, err, models.EEXPRESSION)
}
