package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Reset-email limits. Every call of ForgotPassword is a row of
// password_reset_requests, and the limits count those rows, so they hold
// across replicas.
const (
	ResetWindow = time.Hour
	// ResetsPerClient is how many requests one client address may make in
	// ResetWindow; more answer ERATELIMITED. It counts requests for every
	// address, known or not, so the refusal says nothing about addresses.
	ResetsPerClient = 10
	// ResetsPerAddress is how many reset emails one address receives in
	// ResetWindow. Further requests are answered as usual but send nothing:
	// an answer that differed would tell that the address had been asked
	// for, and a flood of emails is what the limit is for.
	ResetsPerAddress = 3
)

// ForgotPassword records a request for a reset email to email from client
// and returns without looking the address up, so that the answer and its
// time are the same whether or not the address belongs to a user. The email
// is written by ProcessResetRequests, started in the background here.
// Returns ERATELIMITED when client has made ResetsPerClient requests in
// ResetWindow.
func (s *Service) ForgotPassword(ctx context.Context, email, client string) error {
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := lockKeys(tx, "reset-client:"+client); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM password_reset_requests WHERE client = ? AND requested_at > ?`,
			client, now.Add(-ResetWindow)).Scan(&n).Error; err != nil {
			return err
		}
		if n >= ResetsPerClient {
			return models.RateLimited(ResetWindow, "too many password reset requests; try again in an hour")
		}
		return tx.Exec(`INSERT INTO password_reset_requests (email, client, requested_at) VALUES (?, ?, ?)`,
			strings.ToLower(strings.TrimSpace(email)), client, now).Error
	})
	if err != nil {
		return err
	}
	s.background("reset emails", s.ProcessResetRequests)
	return nil
}

// ProcessResetRequests writes the reset emails of the requests not processed
// yet, one request per transaction. Requests are claimed with SKIP LOCKED, so
// that several callers share the work; a request whose email fails stays
// for the next call (housekeeping calls it too, for requests whose process
// ended before it got to them).
func (s *Service) ProcessResetRequests(ctx context.Context) error {
	var errs []error
	for after := int64(0); ; {
		id, err := s.processResetRequest(ctx, after)
		errs = append(errs, err)
		if id == 0 {
			return errors.Join(errs...)
		}
		after = id
	}
}

// processResetRequest processes the first pending request after id after,
// and returns its id: 0 when there is none or it could not be claimed.
func (s *Service) processResetRequest(ctx context.Context, after int64) (int64, error) {
	var r struct {
		ID    int64
		Email string
	}
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		err := tx.Raw(`SELECT id, email FROM password_reset_requests WHERE processed_at IS NULL AND id > ?
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`, after).Scan(&r).Error
		if err != nil || r.ID == 0 {
			return err
		}
		mailed, err := s.mailReset(tx, r.Email)
		if err != nil {
			return err
		}
		return tx.Exec(`UPDATE password_reset_requests SET processed_at = ?, mailed = ? WHERE id = ?`,
			s.Now(), mailed, r.ID).Error
	})
	return r.ID, pg.MapError(err)
}

// mailReset queues a reset email to email, inside tx, when it belongs to an
// enabled user and has received fewer than ResetsPerAddress in ResetWindow;
// it reports whether it did.
func (s *Service) mailReset(tx *gorm.DB, email string) (bool, error) {
	if err := lockKeys(tx, "reset-email:"+email); err != nil {
		return false, err
	}
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM password_reset_requests WHERE email = ? AND mailed AND requested_at > ?`,
		email, s.Now().Add(-ResetWindow)).Scan(&n).Error; err != nil {
		return false, err
	}
	if n >= ResetsPerAddress {
		return false, nil
	}
	var u models.User
	err := tx.Table("users").Where("lower(email) = ? AND disabled_at IS NULL", email).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, s.mailToken(tx, &u, purposeReset)
}

// background runs fn outside the request that started it, so that the
// request does not wait for it, with a minute to finish. Wait waits for it.
func (s *Service) background(what string, fn func(context.Context) error) {
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.Log.Error("identity: "+what, "err", err)
		}
	}()
}

// Wait waits for the work started in the background (reset emails): call it
// before closing the database. Work cut short by a crash is done again by
// the next housekeeping (Purge).
func (s *Service) Wait() { s.work.Wait() }
