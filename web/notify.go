package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/notify"
)

// The notification resources served by the generic CRUD code.
var (
	alertGroupsRes = &models.Resource{Name: "alertgroups", Table: "alert_groups", Columns: models.NewColumns(
		"id", "name", "schedule", "timeZone", "lastDigestAt", "userGroup", "createdAt", "updatedAt")}
	alertRecipientsRes = &models.Resource{Name: "alertrecipients", Table: "alert_recipients", Columns: models.NewColumns(
		"id", "name", "email", "language", "alertGroup", "active", "userGroup", "createdAt", "updatedAt")}
	translationsRes = &models.Resource{Name: "translations", Table: "translations", Columns: models.NewColumns(
		"id", "key", "language", "value", "userGroup", "createdAt", "updatedAt")}
	notificationsRes = &models.Resource{Name: "notifications", Table: "outbox", Columns: models.Columns{
		"id": "id", "kind": "kind", "to": "to_address", "subject": "subject", "status": "status",
		"attempts": "attempts", "lastError": "last_error", "nextAttemptAt": "next_attempt_at",
		"alert": "alert", "userGroup": "user_group", "createdAt": "created_at", "sentAt": "sent_at"}}
)

// alertGroup is an alert group whose Validate also parses its schedule.
type alertGroup struct{ models.AlertGroup }

// Validate checks the fields and the cron expression.
func (g *alertGroup) Validate() error { return notify.ValidateAlertGroup(&g.AlertGroup) }

// UnmarshalJSON decodes the group's own fields strictly.
func (g *alertGroup) UnmarshalJSON(b []byte) error { return strictDecode(b, &g.AlertGroup) }

// recipient is an alert recipient whose language is checked before it is
// stored, since it may be a built-in language that no tenant owns.
type recipient struct{ models.AlertRecipient }

// UnmarshalJSON decodes the recipient's own fields strictly.
func (r *recipient) UnmarshalJSON(b []byte) error { return strictDecode(b, &r.AlertRecipient) }

// BeforeSave is called by gorm inside the generic create and update.
func (r *recipient) BeforeSave(tx *gorm.DB) error {
	if r.Language == nil {
		return nil
	}
	return checkLanguage(tx, "language", *r.Language)
}

// translation is a translation whose key and language are checked.
type translation struct{ models.Translation }

// Validate checks the fields and that the key is a text of the emails.
func (t *translation) Validate() error { return notify.ValidateTranslation(&t.Translation) }

// UnmarshalJSON decodes the translation's own fields strictly.
func (t *translation) UnmarshalJSON(b []byte) error { return strictDecode(b, &t.Translation) }

// BeforeSave is called by gorm inside the generic create and update.
func (t *translation) BeforeSave(tx *gorm.DB) error { return checkLanguage(tx, "language", t.Language) }

// checkLanguage checks a language reference against the request's scope,
// which the generic code passes down in the statement's context.
func checkLanguage(tx *gorm.DB, field string, id int64) error {
	ctx := tx.Statement.Context
	s, _ := models.ScopeFrom(ctx)
	return notify.CheckLanguage(tx.Session(&gorm.Session{NewDB: true, Context: ctx}), s, field, id)
}

// strictDecode decodes b into v, refusing unknown fields, so that errors name
// "email" rather than "AlertRecipient.email".
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// registerNotifyRoutes registers alert groups, recipients, languages,
// translations and the outbox for managers.
func registerNotifyRoutes(managers *gin.RouterGroup, db *pg.DB, mail *notify.Deliverer) {
	svc := &notify.Service{DB: db, Deliverer: mail}
	registerCRUD[alertGroup](managers, db, alertGroupsRes)
	managers.POST("/alertgroups/:id/test", sendTest(svc))
	registerCRUD[recipient](managers, db, alertRecipientsRes)
	managers.GET("/translations/keys", translationKeys)
	registerCRUD[translation](managers, db, translationsRes)
	registerLanguageRoutes(managers, svc)
	registerNotificationRoutes(managers, db, svc)
}

// sendTest answers POST /alertgroups/:id/test: a test email to each active
// recipient, queued to go out at once.
func sendTest(svc *notify.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		n, err := svc.SendTest(c.Request.Context(), scopeOf(c), id)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"message": "test email queued", "recipients": n})
	}
}

// translationKeys lists the text keys a translation may override.
func translationKeys(c *gin.Context) { c.JSON(http.StatusOK, notify.Keys()) }

// registerNotificationRoutes registers the read-only outbox and its retry.
func registerNotificationRoutes(g *gin.RouterGroup, db *pg.DB, svc *notify.Service) {
	g.GET("/notifications", func(c *gin.Context) { listResource[models.Notification](c, db, notificationsRes) })
	g.GET("/notifications/export", exportHandler(db, notificationsRes))
	g.GET("/notifications/:id", func(c *gin.Context) {
		if id, ok := pathID(c); ok {
			replyOK(c)(svc.Notification(c.Request.Context(), scopeOf(c), id))
		}
	})
	g.POST("/notifications/:id/retry", func(c *gin.Context) {
		if id, ok := pathID(c); ok {
			replyOK(c)(svc.Retry(c.Request.Context(), scopeOf(c), id))
		}
	})
}

// replyOK returns a function that answers a (value, error) pair with 200.
func replyOK(c *gin.Context) func(any, error) {
	return func(v any, err error) {
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	}
}

// registerLanguageRoutes registers /languages: the built-in languages for
// everybody and each tenant's own.
func registerLanguageRoutes(g *gin.RouterGroup, svc *notify.Service) {
	res := &models.Resource{Name: "languages", Columns: notify.LanguageColumns}
	g.GET("/languages", func(c *gin.Context) {
		_, q, err := listQuery(c, res)
		if err != nil {
			fail(c, err)
			return
		}
		items, total, err := svc.Languages(c.Request.Context(), scopeOf(c), q)
		if err == nil {
			c.Header("X-Total-Count", strconv.FormatInt(total, 10))
		}
		replyOK(c)(items, err)
	})
	g.GET("/languages/:id", func(c *gin.Context) {
		if id, ok := pathID(c); ok {
			replyOK(c)(svc.Language(c.Request.Context(), scopeOf(c), id))
		}
	})
	g.POST("/languages", createLanguage(svc))
	g.PUT("/languages/:id", updateLanguage(svc))
	g.DELETE("/languages/:id", func(c *gin.Context) {
		if id, ok := pathID(c); ok {
			if err := svc.DeleteLanguage(c.Request.Context(), scopeOf(c), id); err != nil {
				fail(c, err)
				return
			}
			c.JSON(http.StatusOK, gin.H{"message": "deleted"})
		}
	})
}

func createLanguage(svc *notify.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var l models.Language
		if err := decode(c, &l); err != nil {
			fail(c, err)
			return
		}
		if err := svc.CreateLanguage(c.Request.Context(), scopeOf(c), &l); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"id": l.ID})
	}
}

func updateLanguage(svc *notify.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := pathID(c)
		if !ok {
			return
		}
		ctx, s := c.Request.Context(), scopeOf(c)
		l, err := svc.Language(ctx, s, id)
		if err != nil {
			fail(c, err)
			return
		}
		if err := decode(c, l); err != nil {
			fail(c, err)
			return
		}
		l.ID = id
		replyOK(c)(l, svc.UpdateLanguage(ctx, s, l))
	}
}
