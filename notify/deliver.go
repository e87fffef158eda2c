package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Deliverer sends the outbox: it claims due rows, renders them into
// envelopes, sends them over one channel session per batch and records the
// outcome. Any number of deliverers, in any number of replicas, may drain one
// database: a row is leased to one of them at a time.
//
// Delivery is at least once with a stable Message-ID: a deliverer that dies
// after sending and before recording leaves the row to be sent again, with the
// same Message-ID, when its lease runs out.
type Deliverer struct {
	DB      *pg.DB
	Channel Channel // nil: nothing is sent and pending messages say why
	Now     func() time.Time
	Log     *slog.Logger

	BatchSize   int           // rows claimed at once; 100 when 0
	Lease       time.Duration // how long a claim lasts; 5 minutes when 0
	MaxAttempts int           // then failed; DefaultMaxAttempts when 0
	Backoff     Backoff       // DefaultBackoffBase/Max when zero
	Workers     int           // concurrent sessions in Drain; 1 when 0
	ConsoleURL  string        // the console of the links in digests; DefaultConsoleURL when empty
}

// NewDeliverer returns a deliverer over db that sends through ch (nil: no
// channel configured) with the default policy and the system clock.
func NewDeliverer(db *pg.DB, ch Channel) *Deliverer {
	return &Deliverer{DB: db, Channel: ch}
}

// claim is one batch leased to this deliverer.
type claim struct {
	token string
	rows  []outboxRow
}

// outboxRow is a row as the delivery stages read it.
type outboxRow struct {
	ID        int64
	ToAddress string
	Subject   string
	BodyText  string
	BodyHTML  string
	Attempts  int
	CreatedAt time.Time
}

// Drain delivers every due message and returns when none is left, or when
// ctx ends. Messages that fail are rescheduled and do not keep it busy. It
// returns EUNAVAILABLE when the database cannot be reached.
func (d *Deliverer) Drain(ctx context.Context) error {
	if d.Channel == nil {
		return d.markUndeliverable(ctx)
	}
	workers := max(d.Workers, 1)
	errs := make(chan error, workers)
	for range workers {
		go func() { errs <- d.drainOne(ctx) }()
	}
	var all []error
	for range workers {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// drainOne runs batches until a claim finds nothing due.
func (d *Deliverer) drainOne(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := d.RunBatch(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
	return nil
}

// RunBatch claims one batch, sends it and records the outcome. It returns how
// many rows it claimed.
func (d *Deliverer) RunBatch(ctx context.Context) (int, error) {
	c, err := d.claim(ctx)
	if err != nil || len(c.rows) == 0 {
		return 0, err
	}
	return len(c.rows), d.deliver(ctx, c)
}

// claim leases up to BatchSize due rows to a fresh token. The inner SELECT
// skips rows another deliverer is claiming at this instant; the lease keeps
// them from everyone else until it runs out.
func (d *Deliverer) claim(ctx context.Context) (claim, error) {
	now := d.now()
	c := claim{token: newToken()}
	err := d.DB.WithContext(ctx).Raw(`UPDATE outbox SET claimed_until = ?, claimed_by = ?
		WHERE id IN (SELECT id FROM outbox
			WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
			ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
		RETURNING id, to_address, subject, body_text, body_html, attempts, created_at`,
		now.Add(d.lease()), c.token, now, now, d.batchSize()).Scan(&c.rows).Error
	return c, pg.MapError(err)
}

// deliver opens one session for the batch and sends its rows in turn. When
// the session cannot be opened or breaks, the rows not yet tried wait for the
// server without spending an attempt: an outage of the mail server, however
// long, is not the messages' fault.
func (d *Deliverer) deliver(ctx context.Context, c claim) error {
	sess, err := d.Channel.Open(ctx)
	if err != nil {
		return d.postpone(ctx, c, c.rows, err)
	}
	defer sess.Close()
	for i, row := range c.rows {
		retry, broken, err := sess.Send(ctx, envelope(row, d.now()))
		if rerr := d.record(ctx, c.token, row, retry, err); rerr != nil {
			return rerr
		}
		if broken {
			return d.postpone(ctx, c, c.rows[i+1:], err)
		}
	}
	return nil
}

// envelope builds the message of row; its Message-ID depends only on the row.
func envelope(row outboxRow, now time.Time) Envelope {
	return Envelope{ID: row.ID, MessageID: MessageID(row.ID, row.CreatedAt), To: row.ToAddress,
		Subject: row.Subject, Text: row.BodyText, HTML: row.BodyHTML, Date: now}
}

// ChannelRetry is how long messages wait when the mail server cannot be
// reached before the next try.
const ChannelRetry = 30 * time.Second

// postpone releases rows that were not tried because the channel is down;
// they keep their attempts and are due again after ChannelRetry.
func (d *Deliverer) postpone(ctx context.Context, c claim, rows []outboxRow, cause error) error {
	if cause == nil {
		cause = errors.New("connection lost")
	}
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	d.logger().Warn("mail server unreachable; messages wait", "messages", len(ids), "err", cause)
	return pg.MapError(d.DB.WithContext(ctx).Exec(`UPDATE outbox SET last_error = ?, next_attempt_at = ?,
		claimed_until = NULL, claimed_by = NULL WHERE id IN ? AND claimed_by = ?`,
		truncate(cause.Error(), 1000), d.now().Add(ChannelRetry), ids, c.token).Error)
}

// record stores the outcome of one send, if the row is still ours: sent, a
// retry after a backoff, or failed when the error is permanent or the
// attempts are used up.
func (d *Deliverer) record(ctx context.Context, token string, row outboxRow, retry bool, sendErr error) error {
	now := d.now()
	db := d.DB.WithContext(ctx)
	if sendErr == nil {
		return pg.MapError(db.Exec(`UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,
			last_error = '', claimed_until = NULL, claimed_by = NULL WHERE id = ? AND claimed_by = ?`,
			now, row.ID, token).Error)
	}
	attempt := row.Attempts + 1
	status := models.OutboxPending
	if !retry || attempt >= d.maxAttempts() {
		status = models.OutboxFailed
	}
	d.logger().Warn("notification not sent", "id", row.ID, "attempt", attempt, "status", status, "err", sendErr)
	return pg.MapError(db.Exec(`UPDATE outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?,
		claimed_until = NULL, claimed_by = NULL WHERE id = ? AND claimed_by = ?`,
		status, attempt, truncate(sendErr.Error(), 1000), now.Add(d.backoff().Delay(attempt)), row.ID, token).Error)
}

// markUndeliverable notes on every pending message that nothing can send it,
// so that GET /notifications says why it waits.
func (d *Deliverer) markUndeliverable(ctx context.Context) error {
	return pg.MapError(d.DB.WithContext(ctx).Exec(`UPDATE outbox SET last_error = ?
		WHERE status = 'pending' AND last_error <> ?`, ErrNoChannel.Error(), ErrNoChannel.Error()).Error)
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) lease() time.Duration {
	if d.Lease > 0 {
		return d.Lease
	}
	return 5 * time.Minute
}

func (d *Deliverer) batchSize() int {
	if d.BatchSize > 0 {
		return d.BatchSize
	}
	return 100
}

func (d *Deliverer) maxAttempts() int {
	if d.MaxAttempts > 0 {
		return d.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (d *Deliverer) backoff() Backoff {
	b := d.Backoff
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	return b
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// newToken returns a random claim token.
func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// truncate shortens s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", s[:n])
}
