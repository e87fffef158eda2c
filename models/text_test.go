package models

import (
	"errors"
	"testing"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		ok   bool
	}{
		{name: "plain", in: "ATK-123", max: 10, ok: true},
		{name: "unicode", in: "kaffee-ß", max: 10, ok: true},
		{name: "invalid utf-8", in: "ATK-\xff", max: 10},
		{name: "nul", in: "a\x00b", max: 10},
		{name: "too long", in: "abcdefghijk", max: 10},
		{name: "no limit", in: "abcdefghijk", max: 0, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckText("code", tt.in, tt.max)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckText(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.Fields["code"] == "") {
				t.Fatalf("error %v does not name the field", err)
			}
		})
	}
}
