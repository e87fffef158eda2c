package models

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Bool is a flag that reads JSON true/false and the seed's 0/1, and is
// written as true/false, the shape docs/api.md documents.
type Bool bool

// UnmarshalJSON accepts true, false, 1 and 0; anything else is a type error
// that the request decoder reports with the field's name.
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch string(bytes.TrimSpace(data)) {
	case "true", "1":
		*b = true
	case "false", "0":
		*b = false
	case "null":
	default:
		return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// Value stores the flag as a boolean column.
func (b Bool) Value() (driver.Value, error) { return bool(b), nil }

// Scan reads a boolean column.
func (b *Bool) Scan(src any) error {
	switch v := src.(type) {
	case bool:
		*b = Bool(v)
	case nil:
		*b = false
	default:
		return fmt.Errorf("Bool: cannot scan %T", src)
	}
	return nil
}

// Currency is an ISO 4217 currency as its three letters. JSON may give the
// letters or the seed's numeric code (978 for EUR); a number outside
// isoNumeric is kept as "#<number>" so that Validate reports it with the
// field's name instead of the decoder reporting a type error.
type Currency string

// isoNumeric maps the ISO 4217 numbers of common currencies to their letters.
var isoNumeric = map[int]string{
	36: "AUD", 124: "CAD", 156: "CNY", 203: "CZK", 208: "DKK", 344: "HKD", 348: "HUF", 356: "INR",
	392: "JPY", 410: "KRW", 484: "MXN", 554: "NZD", 578: "NOK", 643: "RUB", 702: "SGD", 710: "ZAR",
	752: "SEK", 756: "CHF", 784: "AED", 826: "GBP", 840: "USD", 941: "RSD", 946: "RON", 949: "TRY",
	975: "BGN", 978: "EUR", 980: "UAH", 985: "PLN", 986: "BRL", 51: "AMD", 191: "HRK", 352: "ISK",
}

// UnmarshalJSON reads "EUR" (any case), 978 or "978".
func (c *Currency) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		var n json.Number
		if json.Unmarshal(data, &n) != nil {
			return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[string]()}
		}
		s = n.String()
	}
	*c = ParseCurrency(s)
	return nil
}

// ParseCurrency turns letters or an ISO 4217 number into the letters; an
// unknown number becomes "#<number>", which Valid refuses.
func ParseCurrency(s string) Currency {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil {
		return Currency(strings.ToUpper(s))
	}
	if letters, ok := isoNumeric[n]; ok {
		return Currency(letters)
	}
	return Currency("#" + s)
}

// Valid reports whether c is three capital letters.
func (c Currency) Valid() bool { return currencyCode.MatchString(string(c)) }

// checkCurrency returns EINVALID naming field unless c is valid.
func checkCurrency(field string, c Currency) error {
	if !c.Valid() {
		return FieldError(field, "must be an ISO 4217 code such as EUR, or its number such as 978")
	}
	return nil
}

// NormalizeDate checks a date field and writes it as YYYY-MM-DD. It takes
// YYYY-MM-DD as it is, and an RFC 3339 time as the calendar day on which
// that instant falls in zone (the voucher's time zone), so that the seed's
// "2026-12-30T23:00:00Z" is 2026-12-31 for a voucher in Europe/Amsterdam.
// A nil or blank date is left as it is. Returns EINVALID naming field.
func NormalizeDate(field string, d *string, zone string) error {
	if d == nil || *d == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, *d); err == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *d)
	if err != nil {
		return FieldError(field, "must be a date such as 2026-12-31 or an RFC 3339 time")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || zone == "Local" {
		loc = time.UTC // the zone is reported by its own check
	}
	*d = t.In(loc).Format(time.DateOnly)
	return nil
}

// Coordinate is a latitude or longitude in degrees. JSON may give a number
// or, as the seed's GET answers, a number in a string ("52.37"); it is
// written as a number.
type Coordinate float64

// UnmarshalJSON reads 52.37 or "52.37"; other text is a type error that the
// request decoder reports with the field's name.
func (c *Coordinate) UnmarshalJSON(data []byte) error {
	text := string(bytes.Trim(bytes.TrimSpace(data), `"`))
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[float64]()}
	}
	*c = Coordinate(f)
	return nil
}
