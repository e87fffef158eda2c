package rules

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// The hidden names below contain a colon, which the expression parser never
// accepts in an identifier, so managers cannot write them.
const (
	meterName  = ":meter"
	tickName   = ":tick"
	concatName = ":concat"
	addName    = ":add"
	chargeName = ":charge"
)

// checkEvery is how many iterations pass between two deadline checks; a
// power of two so that the test is a mask.
const checkEvery = 64

// Errors that stop an evaluation. Program.Bool and Program.Number turn them
// into *models.Error values.
var (
	errDeadline   = errors.New("evaluation took too long")
	errIterations = errors.New("too many iterations")
	errStrings    = errors.New("strings too long")
	errWork       = errors.New("too much work")
)

// meter counts the work of one evaluation. It is not safe for concurrent
// use; every evaluation has its own.
type meter struct {
	ctx        context.Context
	deadline   time.Time
	limits     Limits
	iterations int64
	bytes      int64
	work       int64
}

// reset prepares m for an evaluation under ctx and limits.
func (m *meter) reset(ctx context.Context, limits Limits) {
	m.ctx = ctx
	m.limits = limits
	m.iterations = 0
	m.bytes = 0
	m.work = 0
	m.deadline = time.Time{}
	if limits.Timeout > 0 {
		m.deadline = time.Now().Add(limits.Timeout)
	}
	if d, ok := ctx.Deadline(); ok && (m.deadline.IsZero() || d.Before(m.deadline)) {
		m.deadline = d
	}
}

// release drops the references m holds so that a pooled meter keeps nothing
// alive.
func (m *meter) release() { m.ctx = nil }

// tick counts one iteration and checks the time every checkEvery iterations.
func (m *meter) tick() error {
	m.iterations++
	if m.iterations > m.limits.MaxIterations {
		return fmt.Errorf("%w (more than %d)", errIterations, m.limits.MaxIterations)
	}
	if m.iterations&(checkEvery-1) == 0 {
		return m.checkTime()
	}
	return nil
}

// checkTime returns the context's error or errDeadline once the deadline
// has passed.
func (m *meter) checkTime() error {
	if err := m.ctx.Err(); err != nil {
		return err
	}
	if !m.deadline.IsZero() && time.Now().After(m.deadline) {
		return fmt.Errorf("%w (more than %v)", errDeadline, m.limits.Timeout)
	}
	return nil
}

// concat joins a and b after charging their length against the budget.
func (m *meter) concat(a, b string) (string, error) {
	m.bytes += int64(len(a) + len(b))
	if m.bytes > m.limits.MaxStringBytes {
		return "", fmt.Errorf("%w (more than %d bytes)", errStrings, m.limits.MaxStringBytes)
	}
	if err := m.checkTime(); err != nil {
		return "", err
	}
	return a + b, nil
}

// guardOptions registers the hidden metering functions and the patch that
// calls them, and enables only the builtins in allowedBuiltins.
func guardOptions() []expr.Option {
	opts := []expr.Option{
		expr.Function(tickName, tickFunc, new(func(*meter) bool)),
		expr.Function(concatName, concatFunc, new(func(*meter, string, string) string)),
		expr.Function(addName, addFunc, new(func(*meter, any, any) any)),
		expr.Function(chargeName, chargeFunc, new(func(*meter, any, int, int) bool)),
		expr.Patch(&guardPatch{}),
	}
	return append(opts, builtinOptions()...)
}

// meterArg returns the meter passed as the first argument of a hidden call.
func meterArg(args []any) *meter { return args[0].(*meter) }

// tickFunc is :tick(meter) for expr.
func tickFunc(args ...any) (any, error) {
	if err := meterArg(args).tick(); err != nil {
		return nil, err
	}
	return true, nil
}

// concatFunc is :concat(meter, a, b) for expr, used when both sides are
// known to be strings.
func concatFunc(args ...any) (any, error) {
	return meterArg(args).concat(args[1].(string), args[2].(string))
}

// addFunc is :add(meter, a, b) for expr, used for a + where a side's type is
// unknown at compile time: strings are metered, anything else is added as
// expr would.
func addFunc(args ...any) (any, error) {
	a, b := args[1], args[2]
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return meterArg(args).concat(sa, sb)
		}
	}
	return runtime.Add(a, b), nil
}

// guardPatch rewrites a checked tree so that evaluation is metered: every
// predicate body first calls :tick, every + that may join strings calls
// :concat or :add, and every operation whose work grows with the size of
// its operands is preceded by :charge calls (see patchCharges). It holds a
// counter for the hidden variables it declares, so each compilation needs a
// new one.
type guardPatch struct{ vars int }

// Visit implements ast.Visitor.
func (g *guardPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		body := n.Node
		tick := hiddenCall(tickName)
		tick.SetLocation(body.Location())
		seq := &ast.SequenceNode{Nodes: []ast.Node{tick, body}}
		seq.SetLocation(body.Location())
		n.Node = seq
	case *ast.BinaryNode:
		if n.Operator == "+" {
			patchConcat(node, n)
			return
		}
		g.patchCharges(node, binaryCharges(n))
	case *ast.BuiltinNode:
		g.patchCharges(node, builtinCharges(n))
	case *ast.CallNode:
		g.patchCharges(node, callCharges(n))
	}
}

var stringType = reflect.TypeOf("")

// patchConcat replaces a + b by a metered call when a and b may be strings.
// Types come from the check expr runs before patching; an unchecked node
// reports interface{}.
func patchConcat(node *ast.Node, n *ast.BinaryNode) {
	_, lit1 := n.Left.(*ast.StringNode)
	_, lit2 := n.Right.(*ast.StringNode)
	if lit1 && lit2 {
		return // bounded by the source length
	}
	l, r := n.Left.Type().Kind(), n.Right.Type().Kind()
	switch {
	case l == reflect.String && r == reflect.String:
		call := hiddenCall(concatName, n.Left, n.Right)
		ast.Patch(node, call)
		call.SetType(stringType)
	case maybeString(l) && maybeString(r):
		ast.Patch(node, hiddenCall(addName, n.Left, n.Right))
	}
}

// maybeString reports whether a value of kind k may be a string at run time.
func maybeString(k reflect.Kind) bool {
	return k == reflect.String || k == reflect.Interface
}

// hiddenCall returns a call of a hidden function with the meter as its first
// argument.
func hiddenCall(name string, args ...ast.Node) *ast.CallNode {
	all := append([]ast.Node{&ast.IdentifierNode{Value: meterName}}, args...)
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: all}
}
