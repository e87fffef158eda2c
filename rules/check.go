package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vendrule/vendrule/models"
)

// CheckBudget is how long one Check may take in all, waiting for the
// tenant's turn at the gate included.
var CheckBudget = 2 * time.Second

// Check compiles src as an expression of kind and, when sample is not
// empty, evaluates it against sample: a JSON object with the environment's
// fields under the names expressions use ("now" in RFC 3339). It returns the
// result (a bool, or a float64 for KindValue), or nil when there is no
// sample. It is meant for a manager's "test my expression" action: unknown
// or mistyped sample fields are EINVALID errors naming the field, compile
// errors are as for Compile and evaluation errors as for Program.Bool. The
// work runs under tenant's turn at Tenants and within CheckBudget; waiting
// longer than that is ERATELIMITED. Evaluation stops when ctx ends.
func Check(ctx context.Context, tenant int64, kind Kind, src string, sample json.RawMessage) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, CheckBudget)
	defer cancel()
	leave, err := Tenants.Enter(ctx, tenant)
	if err != nil {
		return nil, err
	}
	defer leave()
	p, err := Compile(kind, src)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(sample)) == 0 {
		return nil, nil
	}
	env, err := decodeSample(kind, sample)
	if err != nil {
		return nil, err
	}
	if kind == KindValue {
		return p.Number(ctx, env)
	}
	return p.Bool(ctx, env)
}

// decodeSample decodes sample strictly into a pointer to kind's environment.
func decodeSample(kind Kind, sample json.RawMessage) (any, error) {
	var env any = new(RedemptionEnv)
	if kind == KindCondition {
		env = new(ConditionEnv)
	}
	dec := json.NewDecoder(bytes.NewReader(sample))
	dec.DisallowUnknownFields()
	if err := dec.Decode(env); err != nil {
		return nil, sampleError(err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, sampleFieldError("sample", "unexpected data after the JSON object")
	}
	return env, nil
}

// sampleError turns a JSON decoding error into an EINVALID error that names
// the offending field where the decoder says which one it is.
func sampleError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return sampleFieldError(typeErr.Field, fmt.Sprintf("cannot use JSON %s as %s", typeErr.Value, typeErr.Type))
	}
	msg := err.Error()
	if name, ok := unknownField(msg); ok {
		return sampleFieldError(name, "unknown field")
	}
	return sampleFieldError("sample", strings.TrimPrefix(msg, "json: "))
}

// unknownField extracts the field name from encoding/json's unknown field
// error, which has no type of its own.
func unknownField(msg string) (string, bool) {
	_, rest, ok := strings.Cut(msg, "unknown field ")
	if !ok {
		return "", false
	}
	return strings.Trim(rest, `"`), true
}

// sampleFieldError returns an EINVALID error for one field of the sample.
func sampleFieldError(field, msg string) *models.Error {
	return &models.Error{
		Code:    models.EINVALID,
		Message: fmt.Sprintf("sample: %s: %s", field, msg),
		Fields:  map[string]string{field: msg},
	}
}
