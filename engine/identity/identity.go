// Package identity owns accounts and access: user groups, users, logins with
// lock-out, access and refresh tokens, password emails and machine keys.
package identity

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

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
	Log        *slog.Logger // errors of background work
	// DeviceKeyTTL is how long this process trusts a device key it has
	// found: a key replaced through another replica, a deleted machine or
	// a machine moved to another group takes effect within this time; a
	// key replaced through this process stops at once, and an unknown key
	// is never remembered (a new key works at once). A device calls many
	// times a second, so even this short time spares nearly every lookup
	// (measured: +19 % validate+redeem pairs per second). Set before use.
	DeviceKeyTTL time.Duration
	// TenantGroupsTTL is how long a device's tenant group list is reused
	// before it is read again: a group added to or moved within a tenant
	// reaches the devices' scope within this time. Set before use.
	TenantGroupsTTL time.Duration

	work sync.WaitGroup // background work (reset emails); see Wait
}

// New returns a Service with the default lifetimes.
func New(db *pg.DB, secret []byte) *Service {
	return &Service{
		DB: db, Secret: secret, Now: time.Now,
		AccessTTL: 15 * time.Minute, RefreshTTL: 30 * 24 * time.Hour, MailTTL: 48 * time.Hour,
		BaseURL: "http://localhost:8080", BcryptCost: bcrypt.DefaultCost, Log: slog.Default(),
		DeviceKeyTTL: time.Second, TenantGroupsTTL: 2 * time.Second,
	}
}

var errBadLogin = models.Errorf(models.EUNAUTHORIZED, "wrong username or password")

// Login checks a username and password and returns a token pair. Returns
// EUNAUTHORIZED for a bad login and ERATELIMITED while the username or the
// client address is locked out (see beginAttempt).
func (s *Service) Login(ctx context.Context, username, password, clientAddr string) (models.Tokens, error) {
	u, err := s.verify(ctx, keysOf(username, clientAddr), password, "lower(username) = lower(?)", username)
	if err != nil {
		return models.Tokens{}, err
	}
	return s.issue(ctx, s.DB.DB, u.ID, u.TokenGeneration, randomToken(16))
}

// verify checks password against the user found by where and arg, as one
// attempt counted against the lock-out keys. Returns
// the user, or EUNAUTHORIZED for a bad password or no such user, and
// ERATELIMITED.
func (s *Service) verify(ctx context.Context, keys loginKeys, password, where string, arg any) (*models.User, error) {
	attempt, err := s.beginAttempt(ctx, keys)
	if err != nil {
		return nil, err
	}
	u, err := s.userWhere(ctx, where, arg)
	if err != nil && models.CodeOf(err) != models.ENOTFOUND {
		return nil, err // the attempt stays counted: failing closed
	}
	ok := s.passwordMatches(u, password)
	err = s.endAttempt(ctx, attempt, ok, keys)
	if !ok {
		return nil, errors.Join(errBadLogin, err)
	}
	return u, err
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

// userWhere returns the user found by where and arg. Returns ENOTFOUND.
func (s *Service) userWhere(ctx context.Context, where string, arg any) (*models.User, error) {
	var u models.User
	err := s.DB.WithContext(ctx).Table("users").Where(where, arg).Take(&u).Error
	if err != nil {
		return nil, pg.MapError(err)
	}
	return &u, nil
}

// issue stores a new refresh token of family and returns it with an access
// token, both of token generation gen.
func (s *Service) issue(ctx context.Context, tx *gorm.DB, userID, gen int64, family string) (models.Tokens, error) {
	now := s.Now()
	access, err := signAccess(s.Secret, userID, gen, now, s.AccessTTL)
	if err != nil {
		return models.Tokens{}, err
	}
	refresh := randomToken(32)
	err = tx.WithContext(ctx).Exec(`INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at, generation)
		VALUES (?, ?, ?, ?, ?)`, hashToken(refresh), userID, family, now.Add(s.RefreshTTL), gen).Error
	if err != nil {
		return models.Tokens{}, pg.MapError(err)
	}
	return models.Tokens{AccessToken: access, RefreshToken: refresh}, nil
}

// refreshRow is a refresh token with the state of its user.
type refreshRow struct {
	UserID         int64
	Family         string
	ExpiresAt      time.Time
	UsedAt         *time.Time
	Generation     int64
	UserGeneration int64
	Disabled       bool
}

var errBadRefresh = models.Errorf(models.EUNAUTHORIZED, "invalid or expired refresh token")

// usable reports whether the token may be traded at now: unused, unexpired,
// of an enabled user and of the user's current token generation (a token
// issued while a password change or a disabling raced with it carries the
// older one).
func (r refreshRow) usable(now time.Time) bool {
	return r.UsedAt == nil && now.Before(r.ExpiresAt) && !r.Disabled && r.Generation == r.UserGeneration
}

// Refresh trades a refresh token for a new pair; the old token stops working.
// Presenting a used token again revokes its whole family, since one of the two
// holders must be a thief. Returns EUNAUTHORIZED.
func (s *Service) Refresh(ctx context.Context, token string) (models.Tokens, error) {
	var out models.Tokens
	var reused string
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var row refreshRow
		err := tx.Raw(`SELECT t.user_id, t.family, t.expires_at, t.used_at, t.generation,
				u.token_generation AS user_generation, u.disabled_at IS NOT NULL AS disabled
			FROM refresh_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = ? FOR UPDATE OF t`, hashToken(token)).Scan(&row).Error
		if err != nil || row.UserID == 0 {
			return errBadRefresh
		}
		if row.UsedAt != nil {
			reused = row.Family
		}
		if !row.usable(s.Now()) {
			return errBadRefresh
		}
		if err := tx.Exec("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?",
			s.Now(), hashToken(token)).Error; err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, row.UserID, row.Generation, row.Family)
		return err
	})
	if reused != "" {
		s.DB.WithContext(ctx).Exec("DELETE FROM refresh_tokens WHERE family = ?", reused)
	}
	return out, err
}

// revokeTokens ends every token of user id, inside tx: it raises the user's
// token generation, which access tokens and refresh tokens in flight are
// checked against, and deletes the refresh tokens. It returns the new
// generation, for the tokens issued next.
func revokeTokens(tx *gorm.DB, id int64) (int64, error) {
	var gen int64
	err := tx.Raw(`UPDATE users SET token_generation = token_generation + 1 WHERE id = ?
		RETURNING token_generation`, id).Scan(&gen).Error
	if err != nil {
		return 0, err
	}
	return gen, tx.Exec("DELETE FROM refresh_tokens WHERE user_id = ?", id).Error
}

// HashPassword checks the password policy and hashes the password.
func (s *Service) HashPassword(password string) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", models.FieldError("password", "must be 8 to 72 bytes long")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.BcryptCost)
	return string(h), err
}
