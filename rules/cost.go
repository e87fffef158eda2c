package rules

import (
	"fmt"
	"math"
	"math/bits"
	"reflect"
)

// shape says how the work of an operation grows with the size n of an
// argument: the cost charged before the operation runs.
type shape int

const (
	linear shape = iota // n: a pass over the argument (upper, split, keys, ==, in, …)
	nlogn               // n·log₂n: a sort (sort, sortBy, median)
	square              // n²: every element against every other (uniq)
)

// cost returns weight times the work of s on n units, saturating at
// math.MaxInt64 so that a huge argument cannot wrap around to a small cost.
func (s shape) cost(n, weight int64) int64 {
	var c float64
	switch s {
	case nlogn:
		c = float64(n) * float64(bits.Len64(uint64(n)))
	case square:
		c = float64(n) * float64(n)
	default:
		c = float64(n)
	}
	c *= float64(max(weight, 1))
	if c >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(c)
}

// charge adds the work of one operation on v to the evaluation's total and
// fails when the total passes MaxWork, before the operation runs; it checks
// the context and the deadline too, so that every metered operation is a
// point where a long evaluation stops.
func (m *meter) charge(v any, s shape, weight int64) error {
	left := m.limits.MaxWork - m.work
	n := sizeOf(v, left)
	m.work = satAdd(m.work, s.cost(n, weight))
	if m.work > m.limits.MaxWork {
		return fmt.Errorf("%w (more than %d units)", errWork, m.limits.MaxWork)
	}
	return m.checkTime()
}

// satAdd adds two non-negative counts without overflowing.
func satAdd(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// sizeOf measures v for charge: bytes of a string, and for lists and maps
// their elements, nested ones included (comparing or printing a list of
// lists touches every inner element). It stops counting past limit, so
// that measuring costs no more than the work it is about to refuse.
func sizeOf(v any, limit int64) int64 {
	switch x := v.(type) {
	case nil, bool, int, int64, float64, int32, float32, uint, uint64:
		return 1
	case string:
		return int64(len(x)) + 1
	case []int:
		return int64(len(x)) + 1
	case []int64:
		return int64(len(x)) + 1
	case []float64:
		return int64(len(x)) + 1
	}
	return deepSize(reflect.ValueOf(v), limit)
}

// deepSize is sizeOf for any other value, by reflection.
func deepSize(v reflect.Value, limit int64) int64 {
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len()) + 1
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return 1
		}
		return deepSize(v.Elem(), limit)
	case reflect.Slice, reflect.Array:
		return deepSizeElems(v.Len(), v.Index, limit)
	case reflect.Map:
		return deepSizeMap(v, limit)
	case reflect.Struct:
		return deepSizeElems(v.NumField(), exportedField(v), limit)
	}
	return 1
}

// exportedField returns a function that gives the i-th field of struct v,
// or an invalid value (size 1) for an unexported one: expressions see only
// exported fields, and a time.Time, all unexported, counts as one value.
func exportedField(v reflect.Value) func(int) reflect.Value {
	return func(i int) reflect.Value {
		if !v.Type().Field(i).IsExported() {
			return reflect.Value{}
		}
		return v.Field(i)
	}
}

// deepSizeElems sums the sizes of n elements got by at, stopping past limit.
func deepSizeElems(n int, at func(int) reflect.Value, limit int64) int64 {
	total := int64(1)
	for i := 0; i < n && total <= limit; i++ {
		total = satAdd(total, deepSize(at(i), limit-total))
	}
	return total
}

// deepSizeMap sums the sizes of a map's values, stopping past limit.
func deepSizeMap(v reflect.Value, limit int64) int64 {
	total := int64(1)
	it := v.MapRange()
	for total <= limit && it.Next() {
		total = satAdd(total, 1+deepSize(it.Value(), limit-total))
	}
	return total
}
