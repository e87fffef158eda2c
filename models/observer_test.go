package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func TestWindow(t *testing.T) {
	tests := []struct {
		name      string
		timer     int64
		timerType int64
		want      time.Duration
	}{
		{"minutes", 15, models.TimerMinutes, 15 * time.Minute},
		{"hours", 2, models.TimerHours, 2 * time.Hour},
		{"days", 3, models.TimerDays, 72 * time.Hour},
		{"weeks", 1, models.TimerWeeks, 7 * 24 * time.Hour},
		{"zero timer", 0, models.TimerHours, 0},
		{"negative timer", -1, models.TimerMinutes, 0},
		{"unknown unit", 5, 0, 0},
		{"unknown unit 5", 5, 5, 0},
		{"overflow saturates", 1 << 62, models.TimerWeeks, time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.Window(tt.timer, tt.timerType); got != tt.want {
				t.Errorf("Window(%d, %d) = %v, want %v", tt.timer, tt.timerType, got, tt.want)
			}
		})
	}
}

// validObserver returns an event observer that passes Validate.
func validObserver() models.AlertObserver {
	return models.AlertObserver{Name: "jam", Type: models.ObserverEvent, Observer: models.Occurrence,
		Timer: 15, TimerType: models.TimerMinutes}
}

// TestIntegerRanges walks every integer field whose column is a PostgreSQL
// integer or smallint and that a client can set: values beyond the column
// are EINVALID naming the field, not a driver error (500) at write time.
// Campaign and voucher fields are checked in voucher_test.go.
func TestIntegerRanges(t *testing.T) {
	observer := func(set func(*models.AlertObserver)) func() error {
		return func() error {
			o := validObserver()
			set(&o)
			return o.Validate()
		}
	}
	group := func(admin int) func() error {
		return func() error { g := models.UserGroup{Name: "g", Admin: admin}; return g.Validate() }
	}
	payment := func(exclude models.Bool) func() error {
		return func() error {
			remote, at := int64(1), "2026-01-02T03:04:05Z"
			in := models.TransactionInput{Remote: &remote, OccurredAt: at, Payments: []models.PaymentInput{{Method: "cash", Exclude: exclude}}}
			_, err := in.Transaction()
			return err
		}
	}
	tests := []struct {
		name     string
		validate func() error
		field    string // "" when the value is valid
	}{
		{"timer 1", observer(func(o *models.AlertObserver) { o.Timer = 1 }), ""},
		{"timer max int4", observer(func(o *models.AlertObserver) { o.Timer = 1<<31 - 1 }), ""},
		{"timer 2^31", observer(func(o *models.AlertObserver) { o.Timer = 1 << 31 }), "timer"},
		{"timer 2^63-1", observer(func(o *models.AlertObserver) { o.Timer = 1<<63 - 1 }), "timer"},
		{"timer 0", observer(func(o *models.AlertObserver) { o.Timer = 0 }), "timer"},
		{"timer -1", observer(func(o *models.AlertObserver) { o.Timer = -1 }), "timer"},
		{"timerType 2^31", observer(func(o *models.AlertObserver) { o.TimerType = 1 << 31 }), "timerType"},
		{"timerType 2^16+1", observer(func(o *models.AlertObserver) { o.TimerType = 1<<16 + 1 }), "timerType"},
		{"timerType -1", observer(func(o *models.AlertObserver) { o.TimerType = -1 }), "timerType"},
		{"occurs 0", observer(func(o *models.AlertObserver) { o.Occurs = 0 }), ""},
		{"occurs max int4", observer(func(o *models.AlertObserver) { o.Occurs = 1<<31 - 1 }), ""},
		{"occurs 2^31", observer(func(o *models.AlertObserver) { o.Occurs = 1 << 31 }), "occurs"},
		{"occurs -1", observer(func(o *models.AlertObserver) { o.Occurs = -1 }), "occurs"},
		{"occurs min int64", observer(func(o *models.AlertObserver) { o.Occurs = -1 << 63 }), "occurs"},
		{"repeatEvery max int4", observer(func(o *models.AlertObserver) { o.RepeatEvery = 1<<31 - 1 }), ""},
		{"repeatEvery 2^31", observer(func(o *models.AlertObserver) { o.RepeatEvery = 1 << 31 }), "repeatEvery"},
		{"repeatEvery -1", observer(func(o *models.AlertObserver) { o.RepeatEvery = -1 }), "repeatEvery"},
		{"user group admin 1", group(1), ""},
		{"user group admin 2^31", group(1 << 31), "admin"},
		{"user group admin -1", group(-1), "admin"},
		{"payment exclude true", payment(true), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid value refused: %v", err)
				}
				return
			}
			var e *models.Error
			if !errors.As(err, &e) || e.Code != models.EINVALID || e.Fields[tt.field] == "" {
				t.Fatalf("err = %#v, want EINVALID naming %s", err, tt.field)
			}
		})
	}
}
