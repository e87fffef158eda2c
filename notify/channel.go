package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Envelope is one rendered message ready for a channel.
type Envelope struct {
	ID        int64  // the outbox row
	MessageID string // stable per row, without angle brackets
	To        string
	Subject   string
	Text      string
	HTML      string // empty: a plain-text message
	Date      time.Time
}

// Channel delivers envelopes; notify/email is the SMTP channel.
type Channel interface {
	// Open starts a session, e.g. one SMTP connection reused for a batch.
	// An error is a failure of every message of the batch and worth a retry.
	Open(ctx context.Context) (Session, error)
}

// Session sends the messages of one batch over one connection.
type Session interface {
	// Send delivers e. retry reports whether a failure may go away by itself
	// (a network error, a 4xx reply) rather than being permanent (a 5xx
	// reply). broken reports that the connection is unusable, so that the rest
	// of the batch waits for the next one.
	Send(ctx context.Context, e Envelope) (retry, broken bool, err error)
	Close() error
}

// ErrNoChannel is the last error of the messages that wait because no
// SMTP_URL is configured.
var ErrNoChannel = errors.New("no SMTP_URL configured")

// MessageDomain is the right-hand side of the Message-IDs of outgoing mail.
const MessageDomain = "vendrule"

// MessageID returns the Message-ID (without angle brackets) of outbox row id
// created at created. It depends only on the row, so that a message sent
// again after a crash between sending and recording carries the same id and
// receiving systems can recognise the copy.
func MessageID(id int64, created time.Time) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(id, 10) + "/" + strconv.FormatInt(created.UnixMicro(), 10)))
	return fmt.Sprintf("outbox-%d.%s@%s", id, hex.EncodeToString(sum[:6]), MessageDomain)
}
