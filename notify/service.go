package notify

import (
	"context"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Service is what the HTTP layer asks of notifications beyond plain CRUD.
type Service struct {
	DB *pg.DB
	// Deliverer, when set, is started at once after a test email is queued,
	// so that it goes out now rather than at the next tick.
	Deliverer *Deliverer
}

// SendTest queues a test email to every active recipient of alert group id,
// due at once whatever the group's schedule, and returns how many. Returns
// ENOTFOUND when s may not see the group, EINVALID when it has no active
// recipient.
func (svc *Service) SendTest(ctx context.Context, s models.Scope, id int64) (int, error) {
	n := 0
	err := svc.DB.Tx(ctx, func(tx *gorm.DB) error {
		var g models.AlertGroup
		if err := tx.Table("alert_groups").Scopes(pg.Tenant(s, "user_group")).Where("id = ?", id).
			Take(&g).Error; err != nil {
			return pg.MapError(err)
		}
		return forEachRecipient(tx, &g, func(r models.AlertRecipient, t Texts) error {
			n++
			return Enqueue(tx, testMessage(&g, r.Email, t))
		})
	})
	if err == nil && n == 0 {
		return 0, models.Errorf(models.EINVALID, "the alert group has no active recipients")
	}
	if err == nil && svc.Deliverer != nil {
		go func() { _ = svc.Deliverer.Drain(context.WithoutCancel(ctx)) }()
	}
	return n, err
}

// testMessage renders the test email of g for one recipient.
func testMessage(g *models.AlertGroup, to string, t Texts) Message {
	v := view{texts: t, Kind: "test", vars: placeholders("group", g.Name)}
	text, html, err := render("test", v)
	if err != nil {
		text, html = v.T("test.body"), ""
	}
	group := g.UserGroup
	return Message{UserGroup: &group, Kind: "test", To: to, Subject: v.T("test.subject"), Text: text, HTML: html}
}

// Retry makes notification id due now: a failed one becomes pending again
// with a fresh set of attempts; a pending one skips its backoff. Returns
// ENOTFOUND when s may not see it, ECONFLICT when it was sent.
func (svc *Service) Retry(ctx context.Context, s models.Scope, id int64) (*models.Notification, error) {
	res := svc.DB.WithContext(ctx).Exec(`UPDATE outbox SET status = 'pending', next_attempt_at = now(),
		attempts = CASE WHEN status = 'failed' THEN 0 ELSE attempts END, claimed_until = NULL, claimed_by = NULL
		WHERE id = ? AND user_group IN ? AND status <> 'sent'`, id, scopeGroups(s))
	if res.Error != nil {
		return nil, pg.MapError(res.Error)
	}
	n, err := svc.Notification(ctx, s, id)
	if err == nil && res.RowsAffected == 0 {
		return nil, models.Errorf(models.ECONFLICT, "notification %d was sent already", id)
	}
	return n, err
}

// Notification returns outbox row id. Returns ENOTFOUND.
func (svc *Service) Notification(ctx context.Context, s models.Scope, id int64) (*models.Notification, error) {
	var n models.Notification
	err := svc.DB.WithContext(ctx).Table("outbox").Scopes(pg.Tenant(s, "user_group")).
		Where("id = ?", id).Take(&n).Error
	return &n, pg.MapError(err)
}

// scopeGroups returns s's groups, or an impossible id for an empty scope.
func scopeGroups(s models.Scope) []int64 {
	if len(s.Groups) == 0 {
		return []int64{-1}
	}
	return s.Groups
}

// CheckLanguage returns EINVALID naming field unless language id is built in
// or belongs to a group of s. db must be a fresh session (no conditions).
func CheckLanguage(db *gorm.DB, s models.Scope, field string, id int64) error {
	var n int64
	err := db.Table("languages").
		Where("id = ? AND (user_group IS NULL OR user_group IN ?)", id, scopeGroups(s)).Count(&n).Error
	if err != nil {
		return pg.MapError(err)
	}
	if n == 0 {
		return models.FieldError(field, "refers to an unknown language")
	}
	return nil
}

// ValidateTranslation checks t and that its key is one of the email texts.
// Returns EINVALID.
func ValidateTranslation(t *models.Translation) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if !KnownKey(t.Key) {
		return models.FieldError("key", "is not a text of the emails; GET /api/v1/translations/keys lists them")
	}
	return nil
}
