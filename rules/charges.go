package rules

import (
	"fmt"
	"reflect"
	"regexp/syntax"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
)

// chargeSlot is an operand to be charged for before its operation runs.
type chargeSlot struct {
	slot   *ast.Node
	shape  shape
	weight int64
}

// patchCharges rewrites the operation at node, say uniq(x), as
//
//	let :v1 = x; :charge(:meter, :v1, square, 1); uniq(:v1)
//
// so that each operand in slots is evaluated once, as before, and charged
// for before the operation runs. The hidden variables keep the operands'
// static types, so the operation is type-checked as the manager wrote it.
func (g *guardPatch) patchCharges(node *ast.Node, slots []chargeSlot) {
	if len(slots) == 0 {
		return
	}
	orig := *node
	loc, typ := orig.Location(), orig.Type()
	seq := make([]ast.Node, 0, len(slots)+1)
	decls := make([]*ast.VariableDeclaratorNode, 0, len(slots))
	for _, s := range slots {
		g.vars++
		name := fmt.Sprintf(":v%d", g.vars)
		decls = append(decls, &ast.VariableDeclaratorNode{Name: name, Value: *s.slot})
		*s.slot = hiddenVar(name, (*s.slot).Type())
		shape, weight := &ast.IntegerNode{Value: int(s.shape)}, &ast.IntegerNode{Value: int(s.weight)}
		call := hiddenCall(chargeName, hiddenVar(name, nil), shape, weight)
		call.SetLocation(loc)
		seq = append(seq, call)
	}
	var out ast.Node = &ast.SequenceNode{Nodes: append(seq, orig)}
	for i := len(decls) - 1; i >= 0; i-- {
		out.SetType(typ)
		out.SetLocation(loc)
		decls[i].Expr = out
		out = decls[i]
	}
	out.SetType(typ)
	ast.Patch(node, out)
}

// hiddenVar returns a reference to a hidden variable of type t (nil: not
// known yet).
func hiddenVar(name string, t reflect.Type) *ast.IdentifierNode {
	id := &ast.IdentifierNode{Value: name}
	if t != nil {
		id.SetType(t)
	}
	return id
}

// chargeFunc is :charge(meter, v, shape, weight) for expr.
func chargeFunc(args ...any) (any, error) {
	s, w := args[2].(int), args[3].(int)
	if err := meterArg(args).charge(args[1], shape(s), int64(w)); err != nil {
		return nil, err
	}
	return true, nil
}

// builtinCharges returns the operands of a builtin call to charge for.
func builtinCharges(n *ast.BuiltinNode) []chargeSlot {
	switch allowedBuiltins[n.Name] {
	case loop:
		return loopCharges(n)
	case byArgs:
		return argCharges(slotsOf(n.Arguments), builtinShape[n.Name], max(builtinWeight[n.Name], 1))
	}
	return nil
}

// loopCharges charges a loop builtin's list when no body meters the loop
// (sum(list), count(list)) and, for sortBy, for the sort after the loop.
func loopCharges(n *ast.BuiltinNode) []chargeSlot {
	hasBody := false
	for _, a := range n.Arguments {
		if _, ok := a.(*ast.PredicateNode); ok {
			hasBody = true
		}
	}
	switch {
	case len(n.Arguments) == 0:
		return nil
	case !hasBody:
		return argCharges(slotsOf(n.Arguments[:1]), linear, 1)
	case n.Name == "sortBy":
		return []chargeSlot{{slot: &n.Arguments[0], shape: nlogn, weight: 1}}
	}
	return nil
}

// callCharges charges the large operands of a call of a helper or a method
// (now.Format(layout)); the hidden metering calls are left alone.
func callCharges(n *ast.CallNode) []chargeSlot {
	if id, ok := n.Callee.(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, ":") {
		return nil
	}
	return argCharges(slotsOf(n.Arguments), linear, 1)
}

// binaryCharges returns the operands of an operator to charge for: those
// of ==, !=, in, contains, startsWith, endsWith and matches, whose work
// grows with their size. + is metered by patchConcat and .. by the VM's
// memory budget; the other operators take constant time.
func binaryCharges(n *ast.BinaryNode) []chargeSlot {
	switch n.Operator {
	case "==", "!=":
		if isLiteral(n.Left) || isLiteral(n.Right) {
			return nil // a scalar compares in constant time
		}
		return argCharges([]*ast.Node{&n.Left, &n.Right}, linear, 1)
	case "in":
		if _, ok := n.Right.(*ast.ArrayNode); ok {
			return nil // a literal list, bounded by the source
		}
		return argCharges([]*ast.Node{&n.Right}, linear, 1)
	case "contains", "startsWith", "endsWith":
		return argCharges([]*ast.Node{&n.Left, &n.Right}, linear, 1)
	case "matches":
		weight := int64(maxPatternSize) // a pattern folded from literals later
		if p, ok := n.Right.(*ast.StringNode); ok {
			weight = patternSize(p.Value)
		}
		return argCharges([]*ast.Node{&n.Left}, linear, weight)
	}
	return nil
}

// argCharges returns a slot for each operand in slots that may be large: a
// string, list, map or value of unknown type that is not a literal.
func argCharges(slots []*ast.Node, s shape, weight int64) []chargeSlot {
	var out []chargeSlot
	for _, slot := range slots {
		if isLiteral(*slot) || !mayBeLarge((*slot).Type()) {
			continue
		}
		out = append(out, chargeSlot{slot: slot, shape: s, weight: weight})
	}
	return out
}

// slotsOf returns pointers to the elements of args.
func slotsOf(args []ast.Node) []*ast.Node {
	out := make([]*ast.Node, len(args))
	for i := range args {
		out[i] = &args[i]
	}
	return out
}

// isLiteral reports whether n is a literal whose size the source bounds.
func isLiteral(n ast.Node) bool {
	switch n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.PredicateNode:
		return true
	}
	return false
}

var timeType = reflect.TypeOf(time.Time{})

// mayBeLarge reports whether a value of type t may be large at run time.
func mayBeLarge(t reflect.Type) bool {
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface, reflect.Pointer:
		return true
	case reflect.Struct:
		return t != timeType
	}
	return false
}

// patternSize returns the number of instructions of a regular expression,
// the factor by which matching a string may cost more than reading it (Go
// matches in time linear in the text times the program). A pattern that
// does not parse counts 1: the checker has already refused it.
func patternSize(pattern string) int64 {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return 1
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 1
	}
	return int64(len(prog.Inst))
}
