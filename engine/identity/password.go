package identity

import (
	"context"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// ChangePassword sets the caller's password to next after checking current,
// and ends every token the caller had: whoever else held one (a stolen
// token is a common reason to change a password) is logged out, and the
// caller gets a new pair. A wrong current password counts against the
// login lock-out of the username and of clientAddr, so that a stolen
// access token cannot be used to guess the password. Returns EINVALID (the
// new password's policy, a wrong current password), ERATELIMITED,
// EUNAUTHORIZED.
func (s *Service) ChangePassword(ctx context.Context, sc models.Scope, current, next, clientAddr string) (models.Tokens, error) {
	hash, err := s.HashPassword(next)
	if err != nil {
		return models.Tokens{}, err
	}
	me, err := s.userWhere(ctx, "id = ?", sc.UserID)
	if err != nil {
		return models.Tokens{}, err
	}
	if _, err := s.verify(ctx, keysOf(me.Username, clientAddr), current, "id = ?", me.ID); err != nil {
		if models.CodeOf(err) == models.EUNAUTHORIZED {
			return models.Tokens{}, models.FieldError("currentPassword", "is not your password")
		}
		return models.Tokens{}, err
	}
	var out models.Tokens
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		out, err = s.setPassword(ctx, tx, me.ID, hash)
		return err
	})
	return out, err
}
