package identity

import (
	"context"

	"github.com/vendrule/vendrule/models/pg"
)

// Purge deletes login failures, refresh tokens and mailed tokens that can no
// longer matter: it is housekeeping the scheduler runs now and then.
func (s *Service) Purge(ctx context.Context) error {
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
	return nil
}
