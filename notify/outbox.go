// Package notify owns outgoing messages: the durable outbox that other
// packages write to inside their own transactions, and its delivery.
package notify

import (
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
	Alert     *int64 // the alert the message is about, if any
}

// Enqueue writes m to the outbox using tx, so that the message exists if and
// only if the caller's transaction commits.
func Enqueue(tx *gorm.DB, m Message) error {
	err := tx.Exec(`INSERT INTO outbox (user_group, kind, to_address, subject, body_text, body_html, alert)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, m.UserGroup, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.Alert).Error
	return pg.MapError(err)
}
