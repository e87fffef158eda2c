package identity

import (
	"context"

	"github.com/vendrule/vendrule/models/pg"
)

// Purge deletes login failures, refresh tokens, mailed tokens and reset
// requests that can no longer matter: it is housekeeping the scheduler runs
// now and then. First it writes the emails of reset requests that a process
// ended before writing.
func (s *Service) Purge(ctx context.Context) error {
	if err := s.ProcessResetRequests(ctx); err != nil {
		return err
	}
	cutoff := s.Now().Add(-(FailureWindow + LockDuration))
	db := s.DB.WithContext(ctx)
	for _, q := range []string{
		"DELETE FROM login_failures WHERE failed_at < ?",
		"DELETE FROM refresh_tokens WHERE expires_at < ?",
		"DELETE FROM user_tokens WHERE expires_at < ?",
	} {
		if err := db.Exec(q, cutoff).Error; err != nil {
			return pg.MapError(err)
		}
	}
	err := db.Exec("DELETE FROM password_reset_requests WHERE requested_at < ?", s.Now().Add(-ResetWindow)).Error
	return pg.MapError(err)
}
