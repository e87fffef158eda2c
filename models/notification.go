package models

import (
	"strings"
	"time"
)

// ScheduleImmediate is the schedule of an alert group whose recipients hear
// about every alert change at once; any other schedule is a cron expression
// for a digest.
const ScheduleImmediate = "immediate"

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// AlertGroup is a set of recipients that hear about the alerts of the
// observers pointing at it, at once or as a digest.
type AlertGroup struct {
	Base
	Name         string     `json:"name"`
	Schedule     string     `json:"schedule"`
	TimeZone     string     `json:"timeZone"`
	LastDigestAt *time.Time `json:"lastDigestAt" gorm:"->"`
}

// alertGroupReadOnly adds lastDigestAt, which the digest job writes.
var alertGroupReadOnly = readOnly("lastDigestAt")

// ReadOnlyFields returns the fields an alert group body may carry but not set.
func (g *AlertGroup) ReadOnlyFields() []string { return alertGroupReadOnly }

// SetDefaults makes a new group immediate, in UTC.
func (g *AlertGroup) SetDefaults() { g.Schedule, g.TimeZone = ScheduleImmediate, "UTC" }

// Validate checks the name and the time zone; the cron expression of a
// digest schedule is checked by notify, which owns the parser. Returns
// EINVALID.
func (g *AlertGroup) Validate() error {
	g.Schedule = strings.TrimSpace(g.Schedule)
	if g.Schedule == "" {
		g.Schedule = ScheduleImmediate
	}
	if g.TimeZone == "" {
		g.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(g.TimeZone); err != nil {
		return FieldError("timeZone", "is not a known IANA time zone such as Europe/Amsterdam")
	}
	return required("name", g.Name)
}

// Refs returns nothing: a group refers to no other resource.
func (g *AlertGroup) Refs() []Ref { return nil }

// IsDigest reports whether the group collects its messages for a digest.
func (g *AlertGroup) IsDigest() bool { return g.Schedule != ScheduleImmediate }

// AlertRecipient is an email address in an alert group. Inactive recipients
// get nothing. A nil Language means English.
type AlertRecipient struct {
	Base
	Name       string `json:"name"`
	Email      string `json:"email"`
	Language   *int64 `json:"language"`
	AlertGroup int64  `json:"alertGroup"`
	Active     Bool   `json:"active"`
}

// SetDefaults makes a new recipient active.
func (r *AlertRecipient) SetDefaults() { r.Active = true }

// Validate checks the name, the address and the group. Returns EINVALID.
func (r *AlertRecipient) Validate() error {
	r.Email = strings.TrimSpace(r.Email)
	return firstError(required("name", r.Name), ValidateEmail("email", r.Email),
		requiredID("alertGroup", r.AlertGroup))
}

// Refs returns the alert group. The language may be a built-in one, which
// belongs to no tenant, so notify checks it separately.
func (r *AlertRecipient) Refs() []Ref {
	return []Ref{{Field: "alertGroup", Table: "alert_groups", IDs: []int64{r.AlertGroup}}}
}

// Translation is a tenant's own text for one key of the email texts in one
// language.
type Translation struct {
	Base
	Key      string `json:"key"`
	Language int64  `json:"language"`
	Value    string `json:"value"`
}

// Validate checks that key and language are set; notify checks that the key
// exists. Returns EINVALID.
func (t *Translation) Validate() error {
	t.Key = strings.TrimSpace(t.Key)
	return firstError(required("key", t.Key), requiredID("language", t.Language))
}

// Refs returns nothing: the language may be built in (see AlertRecipient).
func (t *Translation) Refs() []Ref { return nil }

// Notification is one message of the outbox as GET /notifications shows it.
type Notification struct {
	ID            int64      `json:"id" gorm:"primaryKey"`
	UserGroup     *int64     `json:"userGroup"`
	Kind          string     `json:"kind"`
	To            string     `json:"to" gorm:"column:to_address"`
	Subject       string     `json:"subject"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"lastError"`
	NextAttemptAt time.Time  `json:"nextAttemptAt"`
	Alert         *int64     `json:"alert"`
	CreatedAt     time.Time  `json:"createdAt"`
	SentAt        *time.Time `json:"sentAt"`
}

// ReadOnlyFields returns the fields a language body may carry but not set.
func (l *Language) ReadOnlyFields() []string { return baseReadOnly }

// Validate checks a language's name, code (e.g. "de") and locale (e.g.
// "de_DE"). Returns EINVALID.
func (l *Language) Validate() error {
	l.Language = strings.ToLower(strings.TrimSpace(l.Language))
	if err := firstError(required("name", l.Name), required("language", l.Language), required("locale", l.Locale)); err != nil {
		return err
	}
	if len(l.Language) > 12 || strings.ContainsAny(l.Language, " _") {
		return FieldError("language", "must be a language code such as en, de or pt-br")
	}
	return nil
}
