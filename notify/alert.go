package notify

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Alert event kinds.
const (
	AlertStarted  = "started"
	AlertResolved = "resolved"
	AlertRepeat   = "repeat" // still firing, re-notified every repeatEvery minutes
)

// AlertEvent is a change of an alert that the recipients of its observer's
// alert group hear about. The alert engine hands it over inside the
// transaction that made the change.
type AlertEvent struct {
	AlertID      int64
	UserGroup    int64  // the observer's owning group
	AlertGroup   *int64 // the observer's alert group; nil: nobody to tell
	Kind         string // AlertStarted, AlertResolved or AlertRepeat
	ObserverID   int64
	ObserverName string
	MachineID    int64
	MachineName  string
	LocationID   int64
	LocationName string
	TimeZone     string // the location's, for the times in the message
	StartedAt    time.Time
	ResolvedAt   *time.Time
	Count        int64
	At           time.Time // when the change happened
}

// EnqueueAlert turns an alert event into outbox messages using tx, so that
// they exist if and only if the alert change commits.
func EnqueueAlert(ctx context.Context, tx *gorm.DB, ev AlertEvent) error {
	// The notifications work fills this in: one message per active recipient
	// of the alert group, in the recipient's language, at once or for the
	// group's next digest.
	return nil
}
