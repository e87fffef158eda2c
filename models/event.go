package models

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxBatch is the largest number of items one ingestion request may carry.
const MaxBatch = 1000

// MaxPayments is the largest number of payments one transaction may carry.
const MaxPayments = 50

// PaymentMethods are the payment methods of payments and observers.
var PaymentMethods = []string{"cash", "card", "code", "virtual", "token"}

// Event is a stored machine event (the seed's "logs"). Location, TimeZone,
// UserGroup and ErrorIdentity come from the machine, not from the device.
// ResolvedBy names the event whose resolvedAt resolved this one; it is nil
// on an event that carried resolvedAt itself.
type Event struct {
	Base
	Remote        int64      `json:"remote"`
	Machine       int64      `json:"machine"`
	Location      int64      `json:"location"`
	Code          string     `json:"code"`
	ErrorIdentity *int64     `json:"errorIdentity"`
	Type          int64      `json:"type"`
	IsResolvable  bool       `json:"isResolvable"`
	OccurredAt    time.Time  `json:"occurredAt"`
	TimeZone      string     `json:"timeZone"`
	Duration      *int64     `json:"duration"`
	ExtraData     *string    `json:"extraData"`
	ResolvedAt    *time.Time `json:"resolvedAt"`
	ResolvedBy    *int64     `json:"resolvedBy"`
	State         *string    `json:"state"`
}

// EventInput is one event as a device or manager uploads it. Times are
// RFC 3339 text so that a bad one is reported with its field name.
type EventInput struct {
	Remote       *int64          `json:"remote"`
	Machine      *int64          `json:"machine"`
	Code         string          `json:"code"`
	Type         int64           `json:"type"`
	IsResolvable Bool            `json:"isResolvable"`
	OccurredAt   string          `json:"occurredAt"`
	Duration     *int64          `json:"duration"`
	ExtraData    json.RawMessage `json:"extraData"`
	ResolvedAt   *string         `json:"resolvedAt"`
	State        *string         `json:"state"`
}

// eventReadOnly are the fields of a stored event that come from its machine
// or the server (the seed's date and timestamp are occurredAt as Unix
// seconds), so that a device may send back what GET /logs showed.
var eventReadOnly = readOnly("location", "errorIdentity", "timeZone", "date", "timestamp", "userGroup",
	"resolvedBy")

// ReadOnlyFields returns the fields an event body may carry but not set.
func (in *EventInput) ReadOnlyFields() []string { return eventReadOnly }

// Event validates in and returns the event it describes, without the fields
// that come from the machine. Returns EINVALID naming the field.
func (in *EventInput) Event() (Event, error) {
	e := Event{Code: strings.TrimSpace(in.Code), Type: in.Type, IsResolvable: bool(in.IsResolvable),
		Duration: in.Duration, State: in.State}
	var err error
	if e.Remote, err = requiredRemote(in.Remote); err != nil {
		return e, err
	}
	if e.Code == "" {
		return e, FieldError("code", "is required")
	}
	if in.Duration != nil && *in.Duration < 0 {
		return e, FieldError("duration", "must not be negative")
	}
	if e.OccurredAt, err = ParseTime("occurredAt", in.OccurredAt); err != nil {
		return e, err
	}
	if e.ResolvedAt, err = optionalTime("resolvedAt", in.ResolvedAt); err != nil {
		return e, err
	}
	e.ExtraData, err = extraData(in.ExtraData)
	return e, err
}

// ParseTime parses an RFC 3339 time; a blank one is EINVALID "is required".
func ParseTime(field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, FieldError(field, "is required")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, FieldError(field, "must be an RFC 3339 time such as 2024-03-12T05:36:58+01:00")
	}
	return t, nil
}

func optionalTime(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := ParseTime(field, *s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func requiredRemote(remote *int64) (int64, error) {
	if remote == nil {
		return 0, FieldError("remote", "is required (the device's own id of the item)")
	}
	return *remote, nil
}

// extraData keeps extra data as text: a JSON string as it is (the seed sends
// "{\"uptime\": 67}"), any other JSON value as its JSON text.
func extraData(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return &s, nil
	}
	text := string(raw)
	return &text, nil
}

// RevenueTransaction is a stored sale. Prices are in cents.
type RevenueTransaction struct {
	Base
	Remote                 int64                `json:"remote"`
	Machine                int64                `json:"machine"`
	Location               int64                `json:"location"`
	Product                *int64               `json:"product"`
	Name                   string               `json:"name"`
	InternalRef            string               `json:"internalRef"`
	OccurredAt             time.Time            `json:"occurredAt"`
	TimeZone               string               `json:"timeZone"`
	OriginalPrice          int64                `json:"originalPrice"`
	Price                  int64                `json:"price"`
	Barcode                *string              `json:"barcode"`
	Currency               string               `json:"currency"`
	Token                  string               `json:"token"`
	Salestype              int64                `json:"salestype"`
	NumPaymentTransactions int64                `json:"numPaymentTransactions"`
	Pricelist              *int64               `json:"pricelist"`
	Payments               []PaymentTransaction `json:"payments,omitempty" gorm:"-"`
}

// TransactionInput is one sale as a device or manager uploads it, with its
// payments inline.
type TransactionInput struct {
	Remote                 *int64         `json:"remote"`
	Machine                *int64         `json:"machine"`
	Product                *int64         `json:"product"`
	Name                   string         `json:"name"`
	InternalRef            string         `json:"internalRef"`
	OccurredAt             string         `json:"occurredAt"`
	OriginalPrice          int64          `json:"originalPrice"`
	Price                  int64          `json:"price"`
	Barcode                *string        `json:"barcode"`
	Currency               Currency       `json:"currency"`
	Token                  string         `json:"token"`
	Salestype              int64          `json:"salestype"`
	NumPaymentTransactions *int64         `json:"numPaymentTransactions"`
	Pricelist              *int64         `json:"pricelist"`
	Payments               []PaymentInput `json:"payments"`
}

// transactionReadOnly are the fields of a stored sale that come from its
// machine or the server (timestamp is occurredAt as Unix seconds).
var transactionReadOnly = readOnly("location", "timeZone", "timestamp", "userGroup")

// ReadOnlyFields returns the fields a sale body may carry but not set.
func (in *TransactionInput) ReadOnlyFields() []string { return transactionReadOnly }

// PaymentInput is one payment of an uploaded sale.
type PaymentInput struct {
	Method      string   `json:"method"`
	Type        string   `json:"type"`
	Price       int64    `json:"price"`
	Currency    Currency `json:"currency"`
	Exclude     Bool     `json:"exclude"`
	ReportGroup *int64   `json:"reportGroup"`
	OccurredAt  *string  `json:"occurredAt"`
}

// paymentReadOnly are the fields of a stored payment that come from its sale.
var paymentReadOnly = readOnly("revenuetransaction", "machine", "location", "timeZone", "userGroup")

// UnmarshalJSON decodes a payment strictly, accepting the fields GET
// /paymenttransactions shows that come from the sale; the request decoder
// drops read-only fields only at the top of a body, and payments are nested.
func (p *PaymentInput) UnmarshalJSON(b []byte) error {
	type plain PaymentInput
	return DecodeStrict(b, (*plain)(p), paymentReadOnly)
}

// Transaction validates in and returns the sale it describes, with its
// payments, without the fields that come from the machine. Returns EINVALID
// naming the field.
func (in *TransactionInput) Transaction() (RevenueTransaction, error) {
	t := RevenueTransaction{Product: in.Product, Name: in.Name, InternalRef: in.InternalRef,
		OriginalPrice: in.OriginalPrice, Price: in.Price, Barcode: in.Barcode, Token: in.Token,
		Salestype: in.Salestype, Pricelist: in.Pricelist, Currency: string(in.Currency)}
	var err error
	if t.Remote, err = requiredRemote(in.Remote); err != nil {
		return t, err
	}
	if t.OccurredAt, err = ParseTime("occurredAt", in.OccurredAt); err != nil {
		return t, err
	}
	if err := t.checkAmounts(); err != nil {
		return t, err
	}
	if t.Payments, err = payments(in.Payments, t); err != nil {
		return t, err
	}
	t.NumPaymentTransactions = int64(len(t.Payments))
	if len(t.Payments) == 0 && in.NumPaymentTransactions != nil {
		t.NumPaymentTransactions = *in.NumPaymentTransactions
	}
	return t, nil
}

func (t *RevenueTransaction) checkAmounts() error {
	switch {
	case t.Price < 0:
		return FieldError("price", "must not be negative")
	case t.OriginalPrice < 0:
		return FieldError("originalPrice", "must not be negative")
	case t.Currency != "" && !Currency(t.Currency).Valid():
		return checkCurrency("currency", Currency(t.Currency))
	}
	return nil
}

// payments validates the inline payments of t; each takes t's time and
// currency unless it names its own.
func payments(in []PaymentInput, t RevenueTransaction) ([]PaymentTransaction, error) {
	if len(in) > MaxPayments {
		return nil, FieldError("payments", "at most %d payments per transaction", MaxPayments)
	}
	out := make([]PaymentTransaction, 0, len(in))
	for i, p := range in {
		pt, err := p.payment(t)
		if err != nil {
			return nil, PrefixError(err, "payments["+itoa(i)+"].")
		}
		out = append(out, pt)
	}
	return out, nil
}

func (p PaymentInput) payment(t RevenueTransaction) (PaymentTransaction, error) {
	pt := PaymentTransaction{Method: p.Method, Type: p.Type, Price: p.Price, Exclude: exclude(p.Exclude),
		ReportGroup: p.ReportGroup, Currency: string(p.Currency), OccurredAt: t.OccurredAt}
	if !slices.Contains(PaymentMethods, p.Method) {
		return pt, FieldError("method", "must be one of %s", strings.Join(PaymentMethods, ", "))
	}
	if pt.Type == "" {
		pt.Type = p.Method
	}
	if p.Price < 0 {
		return pt, FieldError("price", "must not be negative")
	}
	if p.Currency != "" && !p.Currency.Valid() {
		return pt, checkCurrency("currency", p.Currency)
	}
	if p.OccurredAt != nil {
		at, err := ParseTime("occurredAt", *p.OccurredAt)
		if err != nil {
			return pt, err
		}
		pt.OccurredAt = at
	}
	return pt, nil
}

// exclude stores a payment's exclude flag as the seed shows it, 0 or 1.
func exclude(b Bool) int64 {
	if b {
		return 1
	}
	return 0
}

// PaymentTransaction is one payment of a sale.
type PaymentTransaction struct {
	Base
	Revenuetransaction int64     `json:"revenuetransaction"`
	Machine            int64     `json:"machine"`
	Location           int64     `json:"location"`
	OccurredAt         time.Time `json:"occurredAt"`
	TimeZone           string    `json:"timeZone"`
	Method             string    `json:"method"`
	Type               string    `json:"type"`
	Price              int64     `json:"price"`
	Currency           string    `json:"currency"`
	Exclude            int64     `json:"exclude"`
	ReportGroup        *int64    `json:"reportGroup"`
}

// PrefixError returns err with prefix put before its message and the names
// of its fields, e.g. "[3]." so that a batch error names the item. Errors
// that are not *Error pass through.
func PrefixError(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	out := &Error{Code: e.Code, Message: prefix + e.Message}
	if e.Fields != nil {
		out.Fields = make(map[string]string, len(e.Fields))
		for k, v := range e.Fields {
			out.Fields[prefix+k] = v
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
