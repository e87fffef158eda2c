package rules

import (
	"context"
	"testing"

	"github.com/expr-lang/expr"
)

// BenchmarkRedemptionRule6Clauses measures Program.Bool on the reference
// rule with a prebuilt environment.
func BenchmarkRedemptionRule6Clauses(b *testing.B) {
	p := mustCompile(b, KindRedemption, referenceRule)
	env := referenceEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.Bool(ctx, env)
		if err != nil || !ok {
			b.Fatalf("Bool = %v, %v", ok, err)
		}
	}
}

// BenchmarkBareVM runs the same compiled program with expr.Run and a
// prebuilt scope, without pooling, limits or result checks: the floor that
// Program.Bool is compared with.
func BenchmarkBareVM(b *testing.B) {
	p := mustCompile(b, KindRedemption, referenceRule)
	var m meter
	m.reset(context.Background(), Limits{MaxIterations: 1 << 62, MaxWork: 1 << 62})
	scope := &redemptionScope{RedemptionEnv: referenceEnv(b), Meter: &m}
	b.ReportAllocs()
	for b.Loop() {
		out, err := expr.Run(p.prog, scope)
		if err != nil || out != true {
			b.Fatalf("Run = %v, %v", out, err)
		}
	}
}
