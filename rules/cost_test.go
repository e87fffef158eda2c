package rules

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/builtin"

	"github.com/vendrule/vendrule/models"
)

// heavyEnv is a condition environment with data as large as an upload can
// carry: a 1 MiB string s, a list l of 99 999 numbers and a map m of 50 000
// keys in extraData.
func heavyEnv() *ConditionEnv {
	l := make([]any, 99_999)
	for i := range l {
		l[i] = float64(i)
	}
	m := make(map[string]any, 50_000)
	for i := range 50_000 {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+time.Duration(i).String()] = float64(i)
	}
	return &ConditionEnv{
		Event: Event{Code: "E42", ExtraData: map[string]any{"s": strings.Repeat("a", 1<<20), "l": l, "m": m},
			OccurredAt: time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)},
		Transaction: Transaction{Methods: []string{"card", "cash"}},
	}
}

// limitHit matches the message of every counting limit.
var limitHit = regexp.MustCompile(`too much work|too many iterations|memory budget exceeded|strings too long`)

// TestBuiltinsAreBounded tries every builtin and operator whose cost grows
// with its input on an input meant to blow up, with the deadline out of the
// way, and checks that a counting limit stops it with a clear error. The
// wall-clock bound is generous (the same inputs ran for minutes before the
// limits); what the test pins down is which limit answers.
func TestBuiltinsAreBounded(t *testing.T) {
	lim := DefaultLimits()
	lim.Timeout = time.Minute
	limited := WithLimits(context.Background(), lim)

	const s, l, m = "event.extraData.s", "event.extraData.l", "event.extraData.m"
	tests := []struct{ name, src string }{
		{"uniq range", `len(uniq(1..99999)) > 0`},
		{"uniq saved rule", `len(uniq(1..15000)) > 0`},
		{"uniq data", `len(uniq(` + l + `)) > 0`},
		{"sort", `all(1..100, len(sort(` + l + `)) > 0)`},
		{"sort desc", `all(1..100, len(sort(` + l + `, "desc")) > 0)`},
		{"sortBy", `all(1..100, len(sortBy(` + l + `, -#)) > 0)`},
		{"groupBy", `all(1..100, len(groupBy(` + l + `, # > 7)) > 0)`},
		{"reduce strings", `reduce(1..40, #acc + #acc, "0123456789") != ""`},
		{"reduce loop", `reduce(1..99999, reduce(1..99999, #acc + 1, 0), 0) > 0`},
		{"nested any", `let a = 1..1000; any(a, any(a, any(a, # < 0)))`},
		{"nested map filter", `len(map(1..1000, filter(1..1000, # > 0))) > 0`},
		{"count any all", `count(1..99999, any(` + l + `, # < 0)) > 0`},
		{"find", `all(1..1000, find(` + l + `, # < 0) == nil)`},
		{"findLastIndex", `all(1..1000, findLastIndex(` + l + `, # < 0) == nil)`},
		{"sum", `all(1..1000, sum(` + l + `) > 0)`},
		{"mean", `all(1..1000, mean(` + l + `) > 0)`},
		{"median", `all(1..1000, median(` + l + `) > 0)`},
		{"max", `all(1..1000, max(` + l + `) > 0)`},
		{"min", `all(1..1000, min(` + l + `) >= 0)`},
		{"reverse", `all(1..1000, len(reverse(` + l + `)) > 0)`},
		{"take", `all(1..1000, len(take(` + l + `, 99999)) > 0)`},
		{"keys", `all(1..1000, len(keys(` + m + `)) > 0)`},
		{"values", `all(1..1000, len(values(` + m + `)) > 0)`},
		{"string of a list", `all(1..1000, len(string(` + l + `)) > 0)`},
		{"split", `all(1..1000, len(split(` + s + `, "")) > 0)`},
		{"splitAfter", `all(1..1000, len(splitAfter(` + s + `, "a")) > 0)`},
		{"indexOf", `all(1..99999, indexOf(` + s + `, "b") < 0)`},
		{"lastIndexOf", `all(1..99999, lastIndexOf(` + s + `, "b") < 0)`},
		{"upper", `all(1..99999, upper(` + s + `) != "")`},
		{"lower", `all(1..99999, lower(` + s + `) != "")`},
		{"trim", `all(1..99999, trim(` + s + `) != "")`},
		{"trimPrefix", `all(1..99999, trimPrefix(` + s + `, "a") != "")`},
		{"trimSuffix", `all(1..99999, trimSuffix(` + s + `, "a") != "")`},
		{"hasPrefix", `all(1..99999, hasPrefix(` + s + `, ` + s + `))`},
		{"hasSuffix", `all(1..99999, hasSuffix(` + s + `, ` + s + `))`},
		{"matches", `all(1..99999, !(` + s + ` matches "b+c"))`},
		{"contains", `all(1..99999, !(` + s + ` contains "b"))`},
		{"startsWith", `all(1..99999, ` + s + ` startsWith ` + s + `)`},
		{"endsWith", `all(1..99999, ` + s + ` endsWith ` + s + `)`},
		{"in list", `all(1..99999, !(-1 in ` + l + `))`},
		{"equal lists", `all(1..99999, ` + l + ` == ` + l + `)`},
		{"equal strings", `all(1..99999, ` + s + ` == ` + s + `)`},
		{"string +", `len(` + s + ` + ` + s + `) > 0`},
		{"range", `len(1..100000000) > 0`},
		{"ranges in a loop", `all(1..1000, len(1..1000) > 0)`},
		{"array literal of ranges", `len([1..60000, 1..60000]) > 0`},
		{"method with a large argument", `all(1..99999, event.occurredAt.Format(` + s + `) != "")`},
		{"pipe", `(` + l + ` | uniq() | len()) > 0`},
	}
	env := heavyEnv()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, KindCondition, tt.src)
			start := time.Now()
			_, err := p.Bool(limited, env)
			d := time.Since(start)
			e := wantCode(t, err, models.EINVALID)
			if !limitHit.MatchString(e.Message) {
				t.Errorf("message %q names no limit", e.Message)
			}
			if d > 5*time.Second {
				t.Errorf("stopped after %v", d)
			}
		})
	}
}

// TestUnboundedBuiltinsAreDisabled checks that the builtins left out of
// allowedBuiltins do not compile.
func TestUnboundedBuiltinsAreDisabled(t *testing.T) {
	for _, src := range []string{
		`repeat("x", 1000000) != ""`, `replace(event.code, "E", "EE") != ""`, `join(transaction.methods, ",") != ""`,
		`len(concat(1..10, 1..10)) > 0`, `len(flatten([[1]])) > 0`, `toJSON(event) != ""`,
		`fromJSON(event.code) != nil`, `toBase64(event.code) != ""`, `fromBase64(event.code) != ""`,
		`len(toPairs(event.extraData)) > 0`, `len(fromPairs([])) == 0`, `now() != nil`, `timezone("UTC") != nil`,
	} {
		_, err := Compile(KindCondition, src)
		wantCode(t, err, models.EEXPRESSION)
	}
}

// TestAllowedBuiltinsExist keeps allowedBuiltins in step with expr: every
// name it lists is an expr builtin, and every expr builtin is either
// listed or disabled on purpose.
func TestAllowedBuiltinsExist(t *testing.T) {
	disabled := map[string]bool{"repeat": true, "replace": true, "join": true, "concat": true, "flatten": true,
		"toJSON": true, "fromJSON": true, "toBase64": true, "fromBase64": true, "toPairs": true, "fromPairs": true,
		"now": true, "date": true, "timezone": true}
	for name := range allowedBuiltins {
		if _, ok := builtin.Index[name]; !ok && allowedBuiltins[name] != loop {
			t.Errorf("%s is not an expr builtin", name)
		}
	}
	for _, f := range builtin.Builtins {
		if _, ok := allowedBuiltins[f.Name]; !ok && !disabled[f.Name] {
			t.Errorf("expr builtin %s is neither allowed with a cost nor disabled", f.Name)
		}
	}
}

// TestMeteredOperationsStillWork evaluates ordinary uses of the metered
// builtins and operators, which must keep their results.
func TestMeteredOperationsStillWork(t *testing.T) {
	env := &ConditionEnv{Event: Event{Code: "E42", ExtraData: map[string]any{"n": 3.0, "l": []any{1.0, 2.0, 2.0}}},
		Transaction: Transaction{Methods: []string{"cash", "card"}, Currency: "EUR"}}
	for _, src := range []string{
		`len(uniq(event.extraData.l)) == 2`, `sort(transaction.methods)[0] == "card"`,
		`event.code matches "^E4[0-9]$"`, `"cash" in transaction.methods`, `upper(event.code) == "E42"`,
		`event.extraData.l == [1.0, 2.0, 2.0]`, `transaction.currency != event.code`,
		`sortBy(event.extraData.l, -#)[0] == 2`, `sum(event.extraData.l) == 5`, `median(event.extraData.l) == 2`,
		`split("a,b", ",")[1] == "b"`, `event.code startsWith "E" && event.code contains "4"`,
		`string(event.extraData.l) != ""`, `len(keys(event.extraData)) == 2`, `event.extraData.n in 1..5`,
		`(event.extraData.l | uniq() | len()) == 2`, `max(event.extraData.l) == 2 && min(1, 2) == 1`,
	} {
		p := mustCompile(t, KindCondition, src)
		ok, err := p.Bool(context.Background(), env)
		if err != nil || !ok {
			t.Errorf("%s = %v, %v", src, ok, err)
		}
	}
}

// TestMatchesNeedsABoundedLiteralPattern checks that a pattern computed at
// run time, or one that compiles to a huge program, is refused when the
// expression is saved.
func TestMatchesNeedsABoundedLiteralPattern(t *testing.T) {
	for _, src := range []string{
		`event.code matches event.code`, `event.code matches ("E" + event.code)`, `event.code matches "[a-z]{1000}"`,
	} {
		_, err := Compile(KindCondition, src)
		if e := wantCode(t, err, models.EEXPRESSION); !strings.Contains(e.Message, "matches") {
			t.Errorf("%s: message %q", src, e.Message)
		}
	}
	p := mustCompile(t, KindCondition, `event.code matches ("E" + "4")`)
	if ok, err := p.Bool(context.Background(), &ConditionEnv{Event: Event{Code: "E42"}}); err != nil || !ok {
		t.Errorf("folded pattern: %v, %v", ok, err)
	}
}

// TestContextStopsEvaluation lifts every counting limit and the timeout and
// ends the context during evaluation (as a client that goes away or a
// spent request budget does): loops and metered builtins both reach a
// check of the context, so evaluation stops.
func TestContextStopsEvaluation(t *testing.T) {
	lim := DefaultLimits()
	lim.Timeout = 0
	lim.MaxIterations = 1 << 62
	lim.MaxWork = 1 << 62
	lim.MemoryBudget = 1 << 30
	limited := WithLimits(context.Background(), lim)
	env := heavyEnv()
	for _, src := range []string{
		`let a = 1..1000; any(a, any(a, any(a, # < 0)))`,
		`all(1..99999, upper(event.extraData.s) != "")`,
		`all(1..99999, len(uniq(1..300)) > 0)`,
	} {
		ctx, cancel := context.WithTimeout(limited, 30*time.Millisecond)
		start := time.Now()
		_, err := mustCompile(t, KindCondition, src).Bool(ctx, env)
		d := time.Since(start)
		cancel()
		// the context's end is seen either by a check of ctx.Done or by the
		// guard's clock, which also runs to the context's deadline
		e := wantCode(t, err, models.EINVALID)
		if !strings.Contains(e.Message, "deadline exceeded") && !strings.Contains(e.Message, "took too long") {
			t.Errorf("%s: message %q", src, e.Message)
		}
		if d > 5*time.Second {
			t.Errorf("%s: stopped after %v", src, d)
		}
	}
}
