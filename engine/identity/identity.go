// Package identity owns accounts and access: user groups, users, logins with
// lock-out, access and refresh tokens, password emails and machine keys.
package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Service answers logins and authenticates requests.
type Service struct {
	DB         *pg.DB
	Secret     []byte
	Now        func() time.Time
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	MailTTL    time.Duration // lifetime of activation and reset tokens
	BaseURL    string        // console address used in emails
	BcryptCost int
}

// New returns a Service with the default lifetimes.
func New(db *pg.DB, secret []byte) *Service {
	return &Service{
		DB: db, Secret: secret, Now: time.Now,
		AccessTTL: 15 * time.Minute, RefreshTTL: 30 * 24 * time.Hour, MailTTL: 48 * time.Hour,
		BaseURL: "http://localhost:8080", BcryptCost: bcrypt.DefaultCost,
	}
}

var errBadLogin = models.Errorf(models.EUNAUTHORIZED, "wrong username or password")

// Login checks a username and password and returns a token pair. Returns
// EUNAUTHORIZED for a bad login and ERATELIMITED while the username or the
// client address is locked out.
func (s *Service) Login(ctx context.Context, username, password, clientAddr string) (models.Tokens, error) {
	keys := []string{"user:" + strings.ToLower(username), "addr:" + clientAddr}
	now := s.Now()
	for _, k := range keys {
		if until, locked, err := s.lockState(ctx, k, now); err != nil {
			return models.Tokens{}, err
		} else if locked {
			return models.Tokens{}, models.Errorf(models.ERATELIMITED,
				"too many failed logins; try again after %s", until.UTC().Format(time.RFC3339))
		}
	}
	u, err := s.userByName(ctx, username)
	if err != nil && models.CodeOf(err) != models.ENOTFOUND {
		return models.Tokens{}, err
	}
	if !s.passwordMatches(u, password) {
		return models.Tokens{}, errors.Join(errBadLogin, s.recordFailure(ctx, keys, now))
	}
	s.DB.WithContext(ctx).Exec("DELETE FROM login_failures WHERE key = ?", keys[0])
	return s.issue(ctx, s.DB.DB, u.ID, randomToken(16))
}

// dummyHash keeps a login for an unknown user as slow as one for a known user.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

func (s *Service) passwordMatches(u *models.User, password string) bool {
	if u == nil || u.PasswordHash == nil || u.DisabledAt != nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(*u.PasswordHash), []byte(password)) == nil
}

func (s *Service) lockState(ctx context.Context, key string, now time.Time) (time.Time, bool, error) {
	var times []time.Time
	err := s.DB.WithContext(ctx).Raw(`SELECT failed_at FROM login_failures
		WHERE key = ? AND failed_at > ? ORDER BY failed_at`, key, now.Add(-FailureWindow-LockDuration)).
		Scan(&times).Error
	if err != nil {
		return time.Time{}, false, pg.MapError(err)
	}
	until, locked := lockedUntil(times, now)
	return until, locked, nil
}

func (s *Service) recordFailure(ctx context.Context, keys []string, now time.Time) error {
	for _, k := range keys {
		if err := s.DB.WithContext(ctx).Exec(
			"INSERT INTO login_failures (key, failed_at) VALUES (?, ?)", k, now).Error; err != nil {
			return pg.MapError(err)
		}
	}
	return nil
}

func (s *Service) userByName(ctx context.Context, username string) (*models.User, error) {
	var u models.User
	err := s.DB.WithContext(ctx).Table("users").Where("lower(username) = lower(?)", username).Take(&u).Error
	if err != nil {
		return nil, pg.MapError(err)
	}
	return &u, nil
}

// issue stores a new refresh token of family and returns it with an access
// token.
func (s *Service) issue(ctx context.Context, tx *gorm.DB, userID int64, family string) (models.Tokens, error) {
	now := s.Now()
	access, err := signAccess(s.Secret, userID, now, s.AccessTTL)
	if err != nil {
		return models.Tokens{}, err
	}
	refresh := randomToken(32)
	err = tx.WithContext(ctx).Exec(`INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at)
		VALUES (?, ?, ?, ?)`, hashToken(refresh), userID, family, now.Add(s.RefreshTTL)).Error
	if err != nil {
		return models.Tokens{}, pg.MapError(err)
	}
	return models.Tokens{AccessToken: access, RefreshToken: refresh}, nil
}

type refreshRow struct {
	UserID    int64
	Family    string
	ExpiresAt time.Time
	UsedAt    *time.Time
}

var errBadRefresh = models.Errorf(models.EUNAUTHORIZED, "invalid or expired refresh token")

// Refresh trades a refresh token for a new pair; the old token stops working.
// Presenting a used token again revokes its whole family, since one of the two
// holders must be a thief. Returns EUNAUTHORIZED.
func (s *Service) Refresh(ctx context.Context, token string) (models.Tokens, error) {
	var out models.Tokens
	var reused string
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var row refreshRow
		err := tx.Table("refresh_tokens").Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("token_hash = ?", hashToken(token)).Take(&row).Error
		if err != nil {
			return errBadRefresh
		}
		if row.UsedAt != nil {
			reused = row.Family
			return errBadRefresh
		}
		if !s.Now().Before(row.ExpiresAt) {
			return errBadRefresh
		}
		if err := tx.Exec("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?",
			s.Now(), hashToken(token)).Error; err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, row.UserID, row.Family)
		return err
	})
	if reused != "" {
		s.DB.WithContext(ctx).Exec("DELETE FROM refresh_tokens WHERE family = ?", reused)
	}
	return out, err
}

// HashPassword checks the password policy and hashes the password.
func (s *Service) HashPassword(password string) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", models.FieldError("password", "must be 8 to 72 bytes long")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.BcryptCost)
	return string(h), err
}
