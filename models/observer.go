package models

import (
	"slices"
	"strings"
	"time"
)

// Observer types, kinds and timer units.
const (
	ObserverEvent       = "event"
	ObserverTransaction = "transaction"

	Occurrence    = "occurrence"
	NonOccurrence = "non_occurrence"
	NonResolution = "non_resolution"

	TimerMinutes = 1
	TimerHours   = 2
	TimerDays    = 3
	TimerWeeks   = 4
)

var (
	observerTypes = []string{ObserverEvent, ObserverTransaction}
	observerKinds = []string{Occurrence, NonOccurrence, NonResolution}
)

// AlertObserver watches a tenant's events or sales and raises alerts to the
// recipients of AlertGroup (one of the tenant's; none when nil). Condition is an expr condition over rules.ConditionEnv; it is
// compiled by the caller on save, since models does not import rules.
type AlertObserver struct {
	Base
	Name           string  `json:"name"`
	Type           string  `json:"type"`
	Observer       string  `json:"observer"`
	Timer          int64   `json:"timer"`
	TimerType      int64   `json:"timerType"`
	AlertGroup     *int64  `json:"alertGroup"`
	Error          *int64  `json:"error"`
	Occurs         int64   `json:"occurs"`
	PaymentMethod  *string `json:"paymentMethod"`
	Machines       IDList  `json:"machines" gorm:"type:bigint[]"`
	OpeningHours   Bool    `json:"openingHours"`
	Condition      string  `json:"condition"`
	RepeatEvery    int64   `json:"repeatEvery"`
	NotifyResolved bool    `json:"notifyResolved"`
}

// observerReadOnly adds the seed's sentAt (when the observer last sent,
// which vendrule keeps per alert).
var observerReadOnly = readOnly("sentAt")

// ReadOnlyFields returns the fields an observer body may carry but not set.
func (o *AlertObserver) ReadOnlyFields() []string { return observerReadOnly }

// SetDefaults gives a new observer an empty machine list (all machines).
func (o *AlertObserver) SetDefaults() { o.Machines = IDList{} }

// Validate checks the enums, the timer and which optional fields the type
// and kind allow. Returns EINVALID naming the field.
func (o *AlertObserver) Validate() error {
	if o.Machines == nil {
		o.Machines = IDList{}
	}
	return firstError(required("name", o.Name),
		oneOf("type", o.Type, observerTypes), oneOf("observer", o.Observer, observerKinds),
		o.validateTimer(), o.validateCounts(), o.validateError(), o.validatePaymentMethod())
}

func oneOf(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return FieldError(field, "must be one of %s", strings.Join(allowed, ", "))
	}
	return nil
}

// MaxInt4 is the largest value of a PostgreSQL integer column. JSON numbers
// decode into int64, so a field stored in such a column is range-checked
// here: beyond it the driver refuses to encode the value and the client
// would see a 500 instead of a 400 naming the field.
const MaxInt4 = 1<<31 - 1

// int4Range returns an EINVALID error naming field when v is outside lo…hi;
// hi is at most MaxInt4 for an integer column.
func int4Range(field string, v, lo, hi int64, hint string) error {
	if v < lo || v > hi {
		return FieldError(field, "must be a whole number from %d to %d%s", lo, hi, hint)
	}
	return nil
}

func (o *AlertObserver) validateTimer() error {
	if err := int4Range("timer", o.Timer, 1, MaxInt4, ""); err != nil {
		return err
	}
	if o.TimerType < TimerMinutes || o.TimerType > TimerWeeks {
		return FieldError("timerType", "must be 1 (minutes), 2 (hours), 3 (days) or 4 (weeks)")
	}
	return nil
}

func (o *AlertObserver) validateCounts() error {
	return firstError(int4Range("occurs", o.Occurs, 0, MaxInt4, ""),
		int4Range("repeatEvery", o.RepeatEvery, 0, MaxInt4, " (0 = never repeat)"))
}

// validateError requires an error identity for non_resolution, which
// watches one error, and refuses one on transaction observers.
func (o *AlertObserver) validateError() error {
	switch {
	case o.Type == ObserverTransaction && o.Error != nil:
		return FieldError("error", "is only for event observers")
	case o.Type == ObserverTransaction && o.Observer == NonResolution:
		return FieldError("observer", "non_resolution is only for event observers")
	case o.Observer == NonResolution && o.Error == nil:
		return FieldError("error", "is required for non_resolution observers")
	}
	return nil
}

func (o *AlertObserver) validatePaymentMethod() error {
	if o.PaymentMethod == nil {
		return nil
	}
	if o.Type != ObserverTransaction {
		return FieldError("paymentMethod", "is only for transaction observers")
	}
	return oneOf("paymentMethod", *o.PaymentMethod, PaymentMethods)
}

// Refs returns the error identity and the machines.
func (o *AlertObserver) Refs() []Ref {
	return []Ref{
		{Field: "error", Table: "error_identities", IDs: IDs(o.Error)},
		{Field: "machines", Table: "machines", IDs: o.Machines},
		{Field: "alertGroup", Table: "alert_groups", IDs: IDs(o.AlertGroup)},
	}
}

// Window returns the length of an observer's timer: timer units of
// timerType (1 minutes, 2 hours, 3 days, 4 weeks). An unknown unit or a
// timer that is not positive gives 0.
func Window(timer, timerType int64) time.Duration {
	if timer <= 0 {
		return 0
	}
	var unit time.Duration
	switch timerType {
	case TimerMinutes:
		unit = time.Minute
	case TimerHours:
		unit = time.Hour
	case TimerDays:
		unit = 24 * time.Hour
	case TimerWeeks:
		unit = 7 * 24 * time.Hour
	default:
		return 0
	}
	if timer > int64(1<<63-1)/int64(unit) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(timer) * unit
}
