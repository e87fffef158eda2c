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
	OpeningHours   bool    `json:"openingHours"`
	Condition      string  `json:"condition"`
	RepeatEvery    int64   `json:"repeatEvery"`
	NotifyResolved bool    `json:"notifyResolved"`
}

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

func (o *AlertObserver) validateTimer() error {
	if o.Timer <= 0 {
		return FieldError("timer", "must be greater than 0")
	}
	if o.TimerType < TimerMinutes || o.TimerType > TimerWeeks {
		return FieldError("timerType", "must be 1 (minutes), 2 (hours), 3 (days) or 4 (weeks)")
	}
	return nil
}

func (o *AlertObserver) validateCounts() error {
	if o.Occurs < 0 {
		return FieldError("occurs", "must not be negative")
	}
	if o.RepeatEvery < 0 {
		return FieldError("repeatEvery", "must not be negative (0 = never repeat)")
	}
	return nil
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
