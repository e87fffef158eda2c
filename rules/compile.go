package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"

	"github.com/vendrule/vendrule/models"
)

// Position is a place in an expression's source: Line and Column count from
// 1, and Column counts characters, not bytes.
type Position struct {
	Line   int
	Column int
}

// Compile compiles src as an expression of the given kind, or returns the
// cached program compiled earlier from the same kind and text. Errors are
// *models.Error: EINVALID for an unknown kind or a source longer than
// MaxSourceBytes, EEXPRESSION for an expression that does not compile, with
// a message "line L, column C: …" (see ErrorPosition) repeated in
// Fields["expr"].
func Compile(kind Kind, src string) (*Program, error) {
	if _, err := ParseKind(string(kind)); err != nil {
		return nil, err
	}
	if len(src) > MaxSourceBytes {
		msg := fmt.Sprintf("expression is longer than %d bytes", MaxSourceBytes)
		return nil, &models.Error{Code: models.EINVALID, Message: msg, Fields: map[string]string{"expr": msg}}
	}
	key := cacheKey{kind: kind, src: src}
	if p, ok := cache.get(key); ok {
		return p, nil
	}
	p, err := compile(kind, src)
	if err != nil {
		return nil, err
	}
	return cache.add(key, p), nil
}

// compile compiles src without the cache.
func compile(kind Kind, src string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, expressionError(Position{Line: 1, Column: 1}, "expression is empty")
	}
	prog, err := expr.Compile(src, options(kind)...)
	if err != nil {
		return nil, compileError(src, err)
	}
	if err := checkLiterals(src, prog.Node()); err != nil {
		return nil, err
	}
	return &Program{kind: kind, source: src, prog: prog}, nil
}

// options returns the compiler options of kind: its environment, its result
// type, the node limit, the helpers and the metering guard.
func options(kind Kind) []expr.Option {
	opts := []expr.Option{expr.MaxNodes(MaxNodes)}
	switch kind {
	case KindRedemption:
		opts = append(opts, expr.Env(redemptionScope{}), expr.AsBool())
	case KindValue:
		opts = append(opts, expr.Env(redemptionScope{}), expr.AsFloat64())
	case KindCondition:
		opts = append(opts, expr.Env(conditionScope{}), expr.AsBool())
	}
	opts = append(opts, helperOptions()...)
	return append(opts, guardOptions()...)
}

// compileError turns an error from expr.Compile into an EEXPRESSION error.
// Errors without a place in the source, such as a wrong result type, are
// reported at line 1, column 1.
func compileError(src string, err error) *models.Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return expressionError(Position{Line: 1, Column: 1}, err.Error())
	}
	pos := Position{Line: fe.Line, Column: fe.Column + 1}
	if fe.Line == 0 {
		pos = positionAt(src, fe.From)
	}
	return expressionError(pos, friendlyTypes(fe.Message))
}

// goTypeName matches the Go name of an environment type in expr's messages.
var goTypeName = regexp.MustCompile(`type rules\.(\w+)`)

// friendlyTypes rewrites "type rules.Order has no field amout" as "order has
// no field amout": managers know the environment, not the Go package.
func friendlyTypes(msg string) string {
	return goTypeName.ReplaceAllStringFunc(msg, func(m string) string {
		name := strings.TrimPrefix(m, "type rules.")
		return strings.ToLower(name[:1]) + name[1:]
	})
}

// positionAt returns the position of the character with index from in src.
func positionAt(src string, from int) Position {
	pos := Position{Line: 1, Column: 1}
	for i, r := range []rune(src) {
		if i == from {
			break
		}
		if r == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
	}
	return pos
}

// expressionError returns an EEXPRESSION error at pos.
func expressionError(pos Position, msg string) *models.Error {
	text := fmt.Sprintf("line %d, column %d: %s", pos.Line, pos.Column, msg)
	return &models.Error{Code: models.EEXPRESSION, Message: text, Fields: map[string]string{"expr": text}}
}

// ErrorPosition returns the position of a compile error returned by Compile
// or Check, and false for any other error.
func ErrorPosition(err error) (Position, bool) {
	var e *models.Error
	if !errors.As(err, &e) || e.Code != models.EEXPRESSION {
		return Position{}, false
	}
	var pos Position
	if n, _ := fmt.Sscanf(e.Message, "line %d, column %d:", &pos.Line, &pos.Column); n != 2 {
		return Position{}, false
	}
	return pos, true
}

// checkLiterals reports constant arguments that can never work, such as
// between(now, "7am", "10:00"), as compile errors rather than failures at
// every evaluation.
func checkLiterals(src string, root ast.Node) error {
	v := &literalChecker{src: src}
	ast.Walk(&root, v)
	if v.err != nil {
		return v.err
	}
	return nil
}

// literalChecker is the visitor behind checkLiterals; it keeps the first
// error.
type literalChecker struct {
	src string
	err *models.Error
}

// maxPatternSize bounds the compiled size of a matches pattern, the factor
// by which matching costs more than reading the text.
const maxPatternSize = 1000

// Visit implements ast.Visitor.
func (v *literalChecker) Visit(node *ast.Node) {
	if v.err != nil {
		return
	}
	if bin, ok := (*node).(*ast.BinaryNode); ok && bin.Operator == "matches" {
		v.checkPattern(bin)
		return
	}
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != "between" || len(call.Arguments) != 3 {
		return
	}
	for _, arg := range call.Arguments[1:] {
		s, ok := arg.(*ast.StringNode)
		if !ok {
			continue
		}
		if _, err := parseClock(s.Value); err != nil {
			v.err = expressionError(positionAt(v.src, arg.Location().From), err.Error())
			return
		}
	}
}

// checkPattern requires the pattern of matches to be a literal of bounded
// size: a pattern computed at run time would be compiled on every
// evaluation, outside the meter.
func (v *literalChecker) checkPattern(n *ast.BinaryNode) {
	p, ok := n.Right.(*ast.StringNode)
	switch {
	case !ok:
		v.err = expressionError(positionAt(v.src, n.Right.Location().From), "the pattern of matches must be a literal string")
	case patternSize(p.Value) > maxPatternSize:
		v.err = expressionError(positionAt(v.src, n.Right.Location().From),
			fmt.Sprintf("the pattern of matches is too complex (more than %d steps)", maxPatternSize))
	}
}
