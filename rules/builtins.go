package rules

import "github.com/expr-lang/expr"

// builtinCost is how a builtin is metered.
type builtinCost int

const (
	// free builtins take constant time whatever their arguments (len, abs,
	// first, bit operations, …).
	free builtinCost = iota
	// loop builtins take a predicate: each run of its body is counted by
	// :tick, so only a sort on top of the loop (sortBy) is charged as well.
	loop
	// byArgs builtins are charged, before they run, for every argument that
	// may be large, with the shape in builtinShape (linear by default).
	byArgs
)

// allowedBuiltins lists every expr builtin expressions may use, with how it
// is metered. It is an allow-list: a builtin that a newer expr adds stays
// disabled until it is listed here with its cost.
//
// Left out on purpose: repeat, replace, join, concat, flatten, toJSON,
// fromJSON, toBase64, fromBase64, toPairs and fromPairs multiply or
// reshape data in one call where a rule has no need to; now, date and
// timezone read the clock (rules see the field now and our date helper).
var allowedBuiltins = map[string]builtinCost{
	"all": loop, "none": loop, "any": loop, "one": loop, "filter": loop, "map": loop,
	"find": loop, "findIndex": loop, "findLast": loop, "findLastIndex": loop,
	"count": loop, "sum": loop, "groupBy": loop, "sortBy": loop, "reduce": loop,

	"len": free, "type": free, "abs": free, "ceil": free, "floor": free, "round": free,
	"first": free, "last": free, "get": free,
	"bitand": free, "bitor": free, "bitxor": free, "bitnand": free, "bitshl": free,
	"bitshr": free, "bitushr": free, "bitnot": free,

	"int": byArgs, "float": byArgs, "string": byArgs, "duration": byArgs,
	"trim": byArgs, "trimPrefix": byArgs, "trimSuffix": byArgs, "upper": byArgs, "lower": byArgs,
	"split": byArgs, "splitAfter": byArgs, "indexOf": byArgs, "lastIndexOf": byArgs,
	"hasPrefix": byArgs, "hasSuffix": byArgs,
	"max": byArgs, "min": byArgs, "mean": byArgs, "median": byArgs,
	"keys": byArgs, "values": byArgs, "take": byArgs, "reverse": byArgs,
	"sort": byArgs, "uniq": byArgs,
}

// builtinShape is the shape of the builtins that are worse than linear in
// their arguments; sortBy's is charged on its list on top of the loop.
var builtinShape = map[string]shape{
	"sort": nlogn, "median": nlogn, "sortBy": nlogn,
	"uniq": square,
}

// builtinWeight is the cost of one unit of a builtin that does more than
// a few nanoseconds of work per element or byte (measured: uniq compares
// through reflection, string formats every element, split makes a string
// per part); the others weigh 1. With them a call that uses the whole
// MaxWork runs for about 20 ms.
var builtinWeight = map[string]int64{
	"uniq": 8, "string": 20, "split": 10, "splitAfter": 10,
}

// builtinOptions disables every builtin and enables the allowed ones.
func builtinOptions() []expr.Option {
	opts := []expr.Option{expr.DisableAllBuiltins()}
	for name := range allowedBuiltins {
		opts = append(opts, expr.EnableBuiltin(name))
	}
	return opts
}
