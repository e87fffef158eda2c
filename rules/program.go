package rules

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/vendrule/vendrule/models"
)

// Program is a compiled expression. It is immutable and safe for concurrent
// use.
type Program struct {
	kind   Kind
	source string
	prog   *vm.Program
}

// Kind returns the kind the program was compiled for.
func (p *Program) Kind() Kind { return p.kind }

// Source returns the expression text the program was compiled from.
func (p *Program) Source() string { return p.source }

// Bool evaluates a redemption rule or an alert condition. env is a
// *RedemptionEnv or RedemptionEnv for KindRedemption and a *ConditionEnv or
// ConditionEnv for KindCondition; pointers avoid a copy. Evaluation stops
// when ctx is done or its limits (WithLimits, else DefaultLimits) are exceeded; see Limits. Errors are
// *models.Error with code EINVALID.
func (p *Program) Bool(ctx context.Context, env any) (bool, error) {
	out, err := p.run(ctx, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, evalErrorf("result is %T, not a bool", out)
	}
	return b, nil
}

// Number evaluates a dynamic voucher value. env is as for Bool; the result is
// in cents and may be fractional, negative, NaN or infinite: pass it through
// ClampValue before use.
func (p *Program) Number(ctx context.Context, env any) (float64, error) {
	out, err := p.run(ctx, env)
	if err != nil {
		return 0, err
	}
	f, ok := out.(float64)
	if !ok {
		return 0, evalErrorf("result is %T, not a number", out)
	}
	return f, nil
}

// evaluation is the reusable state of one evaluation: a VM, a meter and the
// scope the program reads. Evaluations are pooled so that a call allocates
// nothing of its own.
type evaluation struct {
	vm         vm.VM
	meter      meter
	redemption redemptionScope
	condition  conditionScope
	// Copies of environments passed by value, so that their address can be
	// taken without allocating.
	redemptionCopy RedemptionEnv
	conditionCopy  ConditionEnv
}

// redemptionScope is what redemption and value programs are compiled
// against: the manager-visible environment plus the hidden meter.
type redemptionScope struct {
	*RedemptionEnv `expr:"-"`
	Meter          *meter `expr:":meter"`
}

// conditionScope is what condition programs are compiled against.
type conditionScope struct {
	*ConditionEnv `expr:"-"`
	Meter         *meter `expr:":meter"`
}

var evaluations = sync.Pool{New: func() any { return new(evaluation) }}

// run evaluates p against env with a pooled evaluation.
func (p *Program) run(ctx context.Context, env any) (any, error) {
	e := evaluations.Get().(*evaluation)
	defer evaluations.Put(e)
	defer e.release()

	scope, err := e.bind(p.kind, env)
	if err != nil {
		return nil, err
	}
	limits := limitsOf(ctx)
	e.meter.reset(ctx, limits)
	if err := e.meter.checkTime(); err != nil {
		return nil, evalError(err)
	}
	e.vm.MemoryBudget = limits.MemoryBudget
	out, err := e.vm.Run(p.prog, scope)
	if err != nil {
		return nil, evalError(err)
	}
	return out, nil
}

// bind points the scope for kind at env and returns it.
func (e *evaluation) bind(kind Kind, env any) (any, error) {
	e.redemption.Meter = &e.meter
	e.condition.Meter = &e.meter
	switch v := env.(type) {
	case *RedemptionEnv:
		if v != nil && kind != KindCondition {
			e.redemption.RedemptionEnv = v
			return &e.redemption, nil
		}
	case RedemptionEnv:
		if kind != KindCondition {
			e.redemptionCopy = v
			e.redemption.RedemptionEnv = &e.redemptionCopy
			return &e.redemption, nil
		}
	case *ConditionEnv:
		if v != nil && kind == KindCondition {
			e.condition.ConditionEnv = v
			return &e.condition, nil
		}
	case ConditionEnv:
		if kind == KindCondition {
			e.conditionCopy = v
			e.condition.ConditionEnv = &e.conditionCopy
			return &e.condition, nil
		}
	}
	return nil, fmt.Errorf("rules: %s expression cannot be evaluated against %T", kind, env)
}

// release drops the references to the caller's data that e can reach before
// e is pooled (expr's VM keeps a few more in unexported scopes until its next
// run).
func (e *evaluation) release() {
	e.meter.release()
	e.redemption.RedemptionEnv = nil
	e.condition.ConditionEnv = nil
	e.redemptionCopy = RedemptionEnv{}
	e.conditionCopy = ConditionEnv{}
	clear(e.vm.Variables)
	clear(e.vm.Stack[:cap(e.vm.Stack)])
}

// evalError turns an error from the VM into an EINVALID *models.Error,
// keeping the position when expr reports one.
func evalError(err error) *models.Error {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if fe.Prev != nil {
			msg = fe.Prev.Error()
		}
		if fe.Line > 0 {
			return evalErrorf("line %d, column %d: %s", fe.Line, fe.Column+1, msg)
		}
		return evalErrorf("%s", msg)
	}
	return evalErrorf("%v", err)
}

// evalErrorf returns an EINVALID error for a failed evaluation.
func evalErrorf(format string, args ...any) *models.Error {
	return models.Errorf(models.EINVALID, "rule evaluation failed: "+format, args...)
}
