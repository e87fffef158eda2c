package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
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

// Alerts turns alert events into messages whose links lead to the
// console at ConsoleURL (DefaultConsoleURL when empty).
type Alerts struct {
	ConsoleURL string
}

// EnqueueAlert is Alerts.Enqueue with the default console address.
func EnqueueAlert(ctx context.Context, tx *gorm.DB, ev AlertEvent) error {
	return Alerts{}.Enqueue(ctx, tx, ev)
}

// Enqueue turns an alert event into outbox messages using tx, so that
// they exist if and only if the alert change commits: one message per active
// recipient of the alert group in the recipient's language, or, for a digest
// group, one item for the group's next digest. An event without a group, or
// whose group is gone or belongs to another tenant, tells nobody.
func (a Alerts) Enqueue(ctx context.Context, tx *gorm.DB, ev AlertEvent) error {
	if ev.AlertGroup == nil {
		return nil
	}
	tx = tx.WithContext(ctx)
	g, err := tenantGroup(tx, *ev.AlertGroup, ev.UserGroup)
	if err != nil || g == nil {
		return err
	}
	if g.IsDigest() {
		return holdForDigest(tx, g, ev)
	}
	return forEachRecipient(tx, g, func(r models.AlertRecipient, t Texts) error {
		m, err := alertMessage(ev, g, r.Email, t, consoleOr(a.ConsoleURL))
		if err != nil {
			return err
		}
		m.At = ev.At
		return Enqueue(tx, m)
	})
}

// tenantGroup loads alert group id when it belongs to the same tenant as
// group, and nil otherwise.
func tenantGroup(tx *gorm.DB, id, group int64) (*models.AlertGroup, error) {
	var g models.AlertGroup
	err := tx.Table("alert_groups").Where("id = ?", id).Take(&g).Error
	if models.CodeOf(pg.MapError(err)) == models.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, pg.MapError(err)
	}
	mine, err := rootOf(tx, group)
	if err != nil {
		return nil, err
	}
	theirs, err := rootOf(tx, g.UserGroup)
	if err != nil || mine != theirs {
		return nil, err
	}
	return &g, nil
}

// forEachRecipient calls fn with every active recipient of g and its texts.
func forEachRecipient(tx *gorm.DB, g *models.AlertGroup, fn func(models.AlertRecipient, Texts) error) error {
	var rs []models.AlertRecipient
	if err := tx.Table("alert_recipients").Where("alert_group = ? AND active", g.ID).Order("id").
		Find(&rs).Error; err != nil {
		return pg.MapError(err)
	}
	cache := newTextCache(tx, g.UserGroup)
	for _, r := range rs {
		t, err := cache.get(r.Language)
		if err != nil {
			return err
		}
		if err := fn(r, t); err != nil {
			return err
		}
	}
	return nil
}

// holdForDigest stores ev for g's next digest.
func holdForDigest(tx *gorm.DB, g *models.AlertGroup, ev AlertEvent) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return pg.MapError(tx.Exec("INSERT INTO digest_items (alert_group, user_group, event) VALUES (?, ?, ?)",
		g.ID, g.UserGroup, string(b)).Error)
}

// alertMessage renders the email about ev for one recipient.
func alertMessage(ev AlertEvent, g *models.AlertGroup, to string, t Texts, console string) (Message, error) {
	v := alertView(ev, g, t, console)
	text, html, err := render("alert", v)
	if err != nil {
		return Message{}, err
	}
	group, alert := ev.UserGroup, ev.AlertID
	return Message{UserGroup: &group, Kind: "alert", To: to, Subject: v.T("alert.subject"),
		Text: text, HTML: html, Alert: &alert}, nil
}

// alertView lays out ev in t's language, with its times in the location's
// time zone.
func alertView(ev AlertEvent, g *models.AlertGroup, t Texts, console string) view {
	kind := ev.Kind
	if kind != AlertResolved && kind != AlertRepeat {
		kind = AlertStarted
	}
	v := view{texts: t, Kind: kind, Link: AlertLink(console, ev.AlertID)}
	status := t.Get("alert.status." + kind)
	v.vars = placeholders("observer", nameOr(ev.ObserverName, ev.ObserverID), "machine", nameOr(ev.MachineName, ev.MachineID),
		"location", nameOr(ev.LocationName, ev.LocationID), "status", status, "group", g.Name,
		"count", strconv.FormatInt(ev.Count, 10))
	v.Rows = []labelled{
		{v.T("alert.label.status"), status},
		{v.T("alert.label.observer"), nameOr(ev.ObserverName, ev.ObserverID)},
		{v.T("alert.label.machine"), nameOr(ev.MachineName, ev.MachineID)},
		{v.T("alert.label.location"), nameOr(ev.LocationName, ev.LocationID)},
		{v.T("alert.label.started"), formatTime(ev.StartedAt, ev.TimeZone, t)},
	}
	if ev.ResolvedAt != nil {
		v.Rows = append(v.Rows, labelled{v.T("alert.label.resolved"), formatTime(*ev.ResolvedAt, ev.TimeZone, t)})
	}
	if ev.Count > 1 {
		v.Rows = append(v.Rows, labelled{v.T("alert.label.count"), strconv.FormatInt(ev.Count, 10)})
	}
	return v
}

// AlertLink is the address of alert id in the console at console.
func AlertLink(console string, id int64) string { return fmt.Sprintf("%s/alerts/%d", console, id) }

// nameOr returns name, or "#id" when it is empty.
func nameOr(name string, id int64) string {
	if name != "" {
		return name
	}
	return "#" + strconv.FormatInt(id, 10)
}

// formatTime writes at in time zone tz (UTC when unknown) in the language's
// format.
func formatTime(at time.Time, tz string, t Texts) string {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		loc = time.UTC
	}
	return at.In(loc).Format(t.Get("time.format"))
}
