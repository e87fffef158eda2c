// Package notify owns outgoing messages: the durable outbox that other
// packages write to inside their own transactions, and its delivery.
package notify

import (
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
)

// Message is one email waiting in the outbox.
type Message struct {
	UserGroup *int64
	Kind      string // e.g. "activation", "password_reset", "alert"
	To        string
	Subject   string
	Text      string
	HTML      string
	Alert     *int64    // the alert the message is about, if any
	At        time.Time // when it was made, by the caller's clock; zero: the database's now()
}

// Enqueue writes m to the outbox using tx, so that the message exists if and
// only if the caller's transaction commits. The message is due at m.At, by
// the same clock the deliverer compares it with.
func Enqueue(tx *gorm.DB, m Message) error {
	var at *time.Time
	if !m.At.IsZero() {
		at = &m.At
	}
	err := tx.Exec(`INSERT INTO outbox (user_group, kind, to_address, subject, body_text, body_html, alert,
		created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, now()), COALESCE(?, now()))`,
		m.UserGroup, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.Alert, at, at).Error
	return pg.MapError(err)
}
