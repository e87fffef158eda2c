package notify

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// cronParser reads the 5-field schedules of digest groups, and descriptors
// such as @daily.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ValidateSchedule checks an alert group's schedule: "immediate" or a
// 5-field cron expression. Returns EINVALID naming schedule.
func ValidateSchedule(s string) error {
	if s == models.ScheduleImmediate {
		return nil
	}
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return models.FieldError("schedule", "set the time zone in timeZone, not in the expression")
	}
	if _, err := cronParser.Parse(s); err != nil {
		return models.FieldError("schedule", "must be %q or a 5-field cron expression such as \"0 8 * * 1-5\": %v",
			models.ScheduleImmediate, err)
	}
	return nil
}

// ValidateAlertGroup checks g's fields and its schedule. Returns EINVALID.
func ValidateAlertGroup(g *models.AlertGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return ValidateSchedule(g.Schedule)
}

// lastTick returns the latest time of schedule, read in loc, that is after
// since and not after now; ok is false when there is none. Ticks missed while
// nobody ran collapse into one.
func lastTick(schedule string, loc *time.Location, since, now time.Time) (tick time.Time, ok bool) {
	sched, err := cronParser.Parse(schedule)
	if err != nil {
		return time.Time{}, false
	}
	for t := sched.Next(since.In(loc)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		tick, ok = t, true
	}
	return tick, ok
}

// Digests builds the digests that are due: for every digest group whose cron
// schedule has ticked since its last digest, one email per active recipient
// listing the alerts that started or ended since, or nothing when there were
// none. Each group is built in one transaction that locks it, so replicas
// calling Digests together build each digest once. Returns EUNAVAILABLE.
func (d *Deliverer) Digests(ctx context.Context) error {
	var ids []int64
	if err := d.DB.WithContext(ctx).Raw("SELECT id FROM alert_groups WHERE schedule <> ? ORDER BY id",
		models.ScheduleImmediate).Scan(&ids).Error; err != nil {
		return pg.MapError(err)
	}
	for _, id := range ids {
		if err := d.DB.Tx(ctx, func(tx *gorm.DB) error { return d.digest(tx, id) }); err != nil {
			return err
		}
	}
	return nil
}

// digest builds group id's digest if it is due.
func (d *Deliverer) digest(tx *gorm.DB, id int64) error {
	var g models.AlertGroup
	err := tx.Raw(`SELECT * FROM alert_groups WHERE id = ? AND schedule <> 'immediate' FOR UPDATE SKIP LOCKED`, id).
		Scan(&g).Error
	if err != nil || g.ID == 0 {
		return pg.MapError(err) // gone, or another replica is on it
	}
	loc, err := time.LoadLocation(g.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	since := g.CreatedAt
	if g.LastDigestAt != nil {
		since = *g.LastDigestAt
	}
	tick, ok := lastTick(g.Schedule, loc, since, d.now())
	if !ok {
		return nil
	}
	if err := d.sendDigest(tx, &g, since.In(loc)); err != nil {
		return err
	}
	return pg.MapError(tx.Exec("UPDATE alert_groups SET last_digest_at = ? WHERE id = ?", tick, g.ID).Error)
}

// sendDigest consumes g's waiting items and queues one email per active
// recipient listing them; with no items it queues nothing.
func (d *Deliverer) sendDigest(tx *gorm.DB, g *models.AlertGroup, since time.Time) error {
	var rows []struct {
		ID    int64
		Event string
	}
	if err := tx.Raw(`WITH taken AS (DELETE FROM digest_items WHERE alert_group = ? RETURNING id, event)
		SELECT id, event::text AS event FROM taken ORDER BY id`, g.ID).
		Scan(&rows).Error; err != nil || len(rows) == 0 {
		return pg.MapError(err)
	}
	events := make([]AlertEvent, 0, len(rows))
	for _, r := range rows {
		var ev AlertEvent
		if err := json.Unmarshal([]byte(r.Event), &ev); err != nil {
			return err
		}
		events = append(events, ev)
	}
	return forEachRecipient(tx, g, func(r models.AlertRecipient, t Texts) error {
		m, err := digestMessage(g, events, since, r.Email, t, consoleOr(d.ConsoleURL))
		if err != nil {
			return err
		}
		m.At = d.now()
		return Enqueue(tx, m)
	})
}

// digestLine is one alert change in a digest.
type digestLine struct{ Status, Observer, Machine, Location, Time, Link string }

// digestMessage renders a digest of events for one recipient.
func digestMessage(g *models.AlertGroup, events []AlertEvent, since time.Time, to string, t Texts, console string) (Message, error) {
	v := view{texts: t, Kind: "digest"}
	v.vars = placeholders("group", g.Name, "count", strconv.Itoa(len(events)),
		"since", since.Format(t.Get("time.format")))
	for _, ev := range events {
		kind := ev.Kind
		if kind != AlertResolved && kind != AlertRepeat {
			kind = AlertStarted
		}
		v.Items = append(v.Items, digestLine{Status: t.Get("alert.status." + kind),
			Observer: nameOr(ev.ObserverName, ev.ObserverID), Machine: nameOr(ev.MachineName, ev.MachineID),
			Location: nameOr(ev.LocationName, ev.LocationID), Time: formatTime(ev.At, ev.TimeZone, t),
			Link: AlertLink(console, ev.AlertID)})
	}
	text, html, err := render("digest", v)
	if err != nil {
		return Message{}, err
	}
	group := g.UserGroup
	return Message{UserGroup: &group, Kind: "digest", To: to, Subject: v.T("digest.subject"),
		Text: text, HTML: html}, nil
}
