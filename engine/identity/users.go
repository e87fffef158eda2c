package identity

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/notify"
)

// Token purposes.
const (
	purposeActivate = "activate"
	purposeReset    = "reset"
)

// CreateUser stores a new user in a group of the scope and queues its
// activation email in the same transaction. Returns EFORBIDDEN when the
// caller's group is not an admin group, EINVALID, ECONFLICT.
func (s *Service) CreateUser(ctx context.Context, sc models.Scope, u *models.User) error {
	if !sc.Admin {
		return models.Errorf(models.EFORBIDDEN, "only an admin group may manage users")
	}
	if u.UserGroup == 0 {
		u.UserGroup = sc.GroupID
	}
	if err := s.checkUser(ctx, sc, u); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Table("users").Omit("id", "password_hash").Create(u).Error; err != nil {
			return err
		}
		return s.mailToken(tx, u, purposeActivate)
	})
}

// checkUser validates u and that its group and language are in the scope.
func (s *Service) checkUser(ctx context.Context, sc models.Scope, u *models.User) error {
	if !sc.Sees(u.UserGroup) {
		return models.FieldError("userGroup", "refers to an unknown user group")
	}
	if err := u.Validate(); err != nil {
		return err
	}
	return s.checkLanguage(ctx, sc, u.Language)
}

func (s *Service) checkLanguage(ctx context.Context, sc models.Scope, id *int64) error {
	if id == nil {
		return nil
	}
	var n int64
	err := s.DB.WithContext(ctx).Table("languages").
		Where("id = ? AND (user_group IS NULL OR user_group IN ?)", *id, sc.Groups).Count(&n).Error
	if err != nil {
		return pg.MapError(err)
	}
	if n == 0 {
		return models.FieldError("language", "refers to an unknown language")
	}
	return nil
}

// mailToken makes a single-use token for u and queues the email that carries
// it, inside tx.
func (s *Service) mailToken(tx *gorm.DB, u *models.User, purpose string) error {
	token := randomToken(32)
	err := tx.Exec(`INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) VALUES (?, ?, ?, ?)`,
		hashToken(token), u.ID, purpose, s.Now().Add(s.MailTTL)).Error
	if err != nil {
		return err
	}
	m, err := notify.AccountMessage(tx, s.tokenEmail(u, purpose, token))
	if err != nil {
		return err
	}
	m.At = s.Now()
	return notify.Enqueue(tx, m)
}

// tokenEmail describes the email that carries token, in u's language.
func (s *Service) tokenEmail(u *models.User, purpose, token string) notify.AccountEmail {
	a := notify.AccountEmail{Kind: notify.KindActivation, UserGroup: u.UserGroup, To: u.Email,
		Username: u.Username, Language: u.Language, Hours: int(s.MailTTL / time.Hour),
		Link: s.BaseURL + "/activate?token=" + token}
	if purpose == purposeReset {
		a.Kind, a.Link = notify.KindPasswordReset, s.BaseURL+"/reset?token="+token
	}
	return a
}

// ResetPassword sets a new password with a reset token and logs the user in.
// Returns EINVALID for a used, expired or unknown token.
func (s *Service) ResetPassword(ctx context.Context, token, password string) (models.Tokens, error) {
	return s.useToken(ctx, purposeReset, token, password)
}

// Activate sets the first password with an activation token, confirms the
// email address and logs the user in. Returns EINVALID.
func (s *Service) Activate(ctx context.Context, token, password string) (models.Tokens, error) {
	return s.useToken(ctx, purposeActivate, token, password)
}

type tokenRow struct {
	UserID    int64
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// useToken sets password with a mailed token of purpose. It ends every
// token the user had (a reset is often done because a password leaked) and
// every other unused token of the purpose, and returns a new pair.
func (s *Service) useToken(ctx context.Context, purpose, token, password string) (models.Tokens, error) {
	hash, err := s.HashPassword(password)
	if err != nil {
		return models.Tokens{}, err
	}
	var out models.Tokens
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var row tokenRow
		err := tx.Table("user_tokens").Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("token_hash = ? AND purpose = ?", hashToken(token), purpose).Take(&row).Error
		if err != nil || row.UsedAt != nil || !s.Now().Before(row.ExpiresAt) {
			return models.FieldError("token", "is invalid, used or expired")
		}
		if err := tx.Exec("UPDATE user_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
			s.Now(), row.UserID, purpose).Error; err != nil {
			return err
		}
		out, err = s.setPassword(ctx, tx, row.UserID, hash)
		return err
	})
	return out, err
}

// setPassword stores hash as user id's password, confirms its email address
// (the password came through it, or from the user itself), ends its tokens
// and returns a new pair, inside tx.
func (s *Service) setPassword(ctx context.Context, tx *gorm.DB, id int64, hash string) (models.Tokens, error) {
	if err := tx.Exec(`UPDATE users SET password_hash = ?, email_confirmed = 1, updated_at = now()
		WHERE id = ?`, hash, id).Error; err != nil {
		return models.Tokens{}, err
	}
	gen, err := revokeTokens(tx, id)
	if err != nil {
		return models.Tokens{}, err
	}
	return s.issue(ctx, tx, id, gen, randomToken(16))
}

// Me is the current user with its language and group, as /auth/me returns it.
type Me struct {
	models.User
	Language  *models.Language `json:"language"`
	UserGroup models.UserGroup `json:"userGroup"`
}

// Me returns the caller. Returns ENOTFOUND for devices.
func (s *Service) Me(ctx context.Context, sc models.Scope) (*Me, error) {
	var me Me
	db := s.DB.WithContext(ctx)
	if err := db.Table("users").Where("id = ?", sc.UserID).Take(&me.User).Error; err != nil {
		return nil, pg.MapError(err)
	}
	if err := db.Table("user_groups").Where("id = ?", me.User.UserGroup).Take(&me.UserGroup).Error; err != nil {
		return nil, pg.MapError(err)
	}
	if me.User.Language != nil {
		me.Language = &models.Language{}
		if err := db.Table("languages").Where("id = ?", *me.User.Language).Take(me.Language).Error; err != nil {
			return nil, pg.MapError(err)
		}
	}
	return &me, nil
}

// AddUser creates, without HTTP, the group named group (a tenant, when it does
// not exist yet) and a confirmed user in it with password. It is how the first
// account is made. Returns ECONFLICT when the username or email is taken.
func (s *Service) AddUser(ctx context.Context, group, username, email string, admin bool, password string) (int64, error) {
	u := &models.User{Username: username, Email: email}
	if err := u.Validate(); err != nil {
		return 0, err
	}
	if strings.TrimSpace(group) == "" {
		return 0, models.FieldError("group", "is required")
	}
	hash, err := s.HashPassword(password)
	if err != nil {
		return 0, err
	}
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		g := models.UserGroup{Name: group}
		if admin {
			g.Admin = 1
		}
		err := tx.Table("user_groups").Where("name = ? AND parent IS NULL", group).
			Attrs(g).FirstOrCreate(&g).Error
		if err != nil {
			return err
		}
		if admin && g.Admin == 0 {
			if err := tx.Exec("UPDATE user_groups SET admin = 1 WHERE id = ?", g.ID).Error; err != nil {
				return err
			}
		}
		u.UserGroup = g.ID
		return tx.Raw(`INSERT INTO users (user_group, username, email, password_hash, email_confirmed)
			VALUES (?, ?, ?, ?, 1) RETURNING id`, g.ID, username, email, hash).Scan(&u.ID).Error
	})
	return u.ID, err
}
