package rules

import (
	"context"
	"time"
)

// Compile-time limits. They are constants because compiled programs are
// cached by source text alone.
const (
	// MaxSourceBytes is the longest expression source accepted.
	MaxSourceBytes = 4096
	// MaxNodes is the largest expression, in syntax tree nodes, accepted.
	MaxNodes = 500
)

// Limits bound one evaluation.
//
// expr's virtual machine cannot be preempted, so a wall-clock deadline alone
// would be a promise we cannot keep. Evaluation is bounded by counting
// instead, and the deadline is checked where the counting happens:
//
//   - MemoryBudget is handed to expr's VM, which charges ranges (1..n),
//     array and map literals and sortBy results against it and fails with
//     "memory budget exceeded".
//   - Every predicate body (the second argument of any, all, none, one,
//     filter, map, count, sum, find, reduce, sortBy, groupBy, …) is rewritten
//     at compile time to first call a hidden meter, which counts iterations
//     against MaxIterations and, every 64 iterations, checks the context and
//     the deadline (the context's deadline or Timeout from the start,
//     whichever is earlier).
//   - String concatenation with + is rewritten to a metered call that charges
//     the bytes produced against MaxStringBytes and checks the deadline too.
//   - Every builtin and operator whose work grows with its operands (uniq,
//     sort, sortBy, median, string, split, upper, indexOf, keys, ==, in,
//     contains, matches, a method's string argument, …) is preceded by a
//     hidden :charge that measures the operands and adds their cost (n,
//     n·log n or n², times a weight, see builtins.go) to MaxWork before the
//     operation runs, and checks the context and the deadline. So an
//     operation too big for the budget never starts, and one that fits
//     runs for at most about 20 ms.
//   - Builtins are an allow-list (allowedBuiltins); the rest, among them
//     repeat, replace, join, concat, flatten, the JSON and base64 codecs
//     and the clock builtins, do not compile. A pattern of matches must be
//     a bounded literal.
//
// Between two checks a program runs at most one predicate body, one
// metered operation or one top-level pass over its at most MaxNodes nodes,
// so it can overrun the deadline only by that much work: with the defaults
// at most about 20 ms (one operation using all of MaxWork), and well under
// a millisecond for realistic data. The deadline is not checked at all by an
// expression without loops and concatenation, which needs no check: its
// running time is bounded by its size.
type Limits struct {
	// Timeout is the wall-clock budget of one evaluation; 0 means only the
	// context's deadline applies.
	Timeout time.Duration
	// MemoryBudget is expr's VM memory budget, in elements.
	MemoryBudget uint
	// MaxIterations bounds the predicate body runs of one evaluation.
	MaxIterations int64
	// MaxStringBytes bounds the bytes made by string concatenation.
	MaxStringBytes int64
	// MaxWork bounds the work charged by operations whose cost grows with
	// their operands, in units of one element or one byte touched (see
	// charges.go).
	MaxWork int64
}

// DefaultLimits are the limits of every evaluation whose context carries
// no others (WithLimits).
func DefaultLimits() Limits {
	return Limits{
		Timeout:        20 * time.Millisecond,
		MemoryBudget:   100_000,
		MaxIterations:  100_000,
		MaxStringBytes: 1 << 20,
		MaxWork:        2_000_000,
	}
}

type limitsKey struct{}

// WithLimits returns a context whose evaluations run under l instead of
// DefaultLimits.
func WithLimits(ctx context.Context, l Limits) context.Context {
	return context.WithValue(ctx, limitsKey{}, l)
}

// limitsOf returns the limits an evaluation under ctx runs with.
func limitsOf(ctx context.Context) Limits {
	if l, ok := ctx.Value(limitsKey{}).(Limits); ok {
		return l
	}
	return DefaultLimits()
}
