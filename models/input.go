package models

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ReadOnly is implemented by request bodies whose resource shows fields that
// a client cannot set: ids, timestamps, counters, values derived from other
// rows. A client written against the seed sends back the object its GET
// returned, so these fields are accepted and dropped before the body is
// decoded strictly; every other unknown field is still an error.
type ReadOnly interface {
	ReadOnlyFields() []string
}

// baseReadOnly are the fields every stored resource shows but only the
// server writes.
var baseReadOnly = []string{"id", "createdAt", "updatedAt"}

// ReadOnlyFields returns id, createdAt and updatedAt; resources with more
// read-only fields declare their own list.
func (b *Base) ReadOnlyFields() []string { return baseReadOnly }

// readOnly returns the base fields followed by more.
func readOnly(more ...string) []string {
	return append(append([]string{}, baseReadOnly...), more...)
}

// DropFields returns the JSON object b without the keys named in fields.
// Keys match case-insensitively, as encoding/json matches struct fields, so
// that the seed's "usergroup" is dropped with "userGroup". Anything that is
// not a well-formed JSON object is returned unchanged for the strict decoder
// to report.
func DropFields(b []byte, fields []string) []byte {
	if len(fields) == 0 || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return b
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return b
	}
	dropped := false
	for k := range obj {
		if containsFold(fields, k) {
			delete(obj, k)
			dropped = true
		}
	}
	if !dropped {
		return b
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return b
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// DecodeStrict decodes b into v after dropping the read-only fields:
// unknown fields are errors. It serves UnmarshalJSON methods of nested input
// types, which the request decoder's own checks do not reach.
func DecodeStrict(b []byte, v any, readOnly []string) error {
	dec := json.NewDecoder(bytes.NewReader(DropFields(b, readOnly)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
