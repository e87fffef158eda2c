package models

import (
	"strings"
	"unicode/utf8"
)

// MaxText is the longest identifier a device may send (a voucher code, a
// deviceId, an order id, a product id), in bytes.
const MaxText = 256

// CheckText refuses text that PostgreSQL cannot store (invalid UTF-8, NUL)
// or that is longer than max bytes (0: no length limit). Returns EINVALID
// naming field.
func CheckText(field, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return FieldError(field, "is not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return FieldError(field, "must not contain NUL characters")
	case max > 0 && len(s) > max:
		return FieldError(field, "is longer than %d bytes", max)
	}
	return nil
}
