package notify

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// LanguageColumns is the list allow-list of languages.
var LanguageColumns = models.NewColumns("id", "name", "language", "locale", "userGroup", "createdAt", "updatedAt")

// visibleLanguages starts a query on the languages s may read: the built-in
// ones and its groups' own.
func (svc *Service) visibleLanguages(ctx context.Context, s models.Scope) *gorm.DB {
	return svc.DB.WithContext(ctx).Table("languages").
		Where("user_group IS NULL OR user_group IN ?", scopeGroups(s))
}

// Languages returns one page of the languages s may read and their total.
// Built-in languages (userGroup null) are visible to every tenant.
func (svc *Service) Languages(ctx context.Context, s models.Scope, q models.ListQuery) ([]models.Language, int64, error) {
	db := svc.visibleLanguages(ctx, s)
	for _, f := range q.Filters {
		db = whereFilter(db, f)
	}
	var total int64
	if err := db.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, pg.MapError(err)
	}
	order := "id"
	if q.Sort != "" {
		dir := map[bool]string{true: " DESC", false: " ASC"}[q.Desc]
		order = q.Sort + dir + ", id" + dir
	}
	out := []models.Language{}
	err := db.Order(order).Limit(q.Limit).Offset(q.Skip).Find(&out).Error
	return out, total, pg.MapError(err)
}

// whereFilter adds one allow-listed filter, as the generic lists do.
func whereFilter(db *gorm.DB, f models.Filter) *gorm.DB {
	ops := map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
	switch f.Op {
	case "like":
		return db.Where(f.Column+"::text ILIKE ?", f.Value)
	case "in":
		return db.Where(f.Column+"::text IN ?", strings.Split(f.Value, ","))
	case "null":
		if f.Value == "true" {
			return db.Where(f.Column + " IS NULL")
		}
		return db.Where(f.Column + " IS NOT NULL")
	}
	return db.Where(fmt.Sprintf("%s %s ?", f.Column, ops[f.Op]), f.Value)
}

// Language returns language id if s may read it. Returns ENOTFOUND.
func (svc *Service) Language(ctx context.Context, s models.Scope, id int64) (*models.Language, error) {
	var l models.Language
	if err := svc.visibleLanguages(ctx, s).Where("id = ?", id).Take(&l).Error; err != nil {
		return nil, pg.MapError(err)
	}
	return &l, nil
}

// CreateLanguage stores a tenant's own language. Returns EINVALID.
func (svc *Service) CreateLanguage(ctx context.Context, s models.Scope, l *models.Language) error {
	l.ID = 0
	if l.UserGroup == nil {
		l.UserGroup = &s.GroupID
	}
	if !s.Sees(*l.UserGroup) {
		return models.FieldError("userGroup", "refers to an unknown user group")
	}
	if err := l.Validate(); err != nil {
		return err
	}
	return pg.MapError(svc.DB.WithContext(ctx).Table("languages").Omit("id").Create(l).Error)
}

// UpdateLanguage writes l over a tenant's own language. Returns ENOTFOUND,
// EFORBIDDEN for a built-in language, EINVALID.
func (svc *Service) UpdateLanguage(ctx context.Context, s models.Scope, l *models.Language) error {
	if err := svc.ownLanguage(ctx, s, l.ID); err != nil {
		return err
	}
	if l.UserGroup == nil || !s.Sees(*l.UserGroup) {
		return models.FieldError("userGroup", "refers to an unknown user group")
	}
	if err := l.Validate(); err != nil {
		return err
	}
	return pg.MapError(svc.DB.WithContext(ctx).Table("languages").Where("id = ?", l.ID).
		Select("user_group", "name", "language", "locale", "updated_at").Updates(l).Error)
}

// DeleteLanguage removes a tenant's own language and its translations.
// Returns ENOTFOUND, EFORBIDDEN, ECONFLICT while users or recipients use it.
func (svc *Service) DeleteLanguage(ctx context.Context, s models.Scope, id int64) error {
	if err := svc.ownLanguage(ctx, s, id); err != nil {
		return err
	}
	return pg.MapError(svc.DB.WithContext(ctx).Exec("DELETE FROM languages WHERE id = ?", id).Error)
}

// ownLanguage returns nil when s may change language id.
func (svc *Service) ownLanguage(ctx context.Context, s models.Scope, id int64) error {
	l, err := svc.Language(ctx, s, id)
	if err != nil {
		return err
	}
	if l.UserGroup == nil {
		return models.Errorf(models.EFORBIDDEN, "built-in languages cannot be changed; override texts with translations")
	}
	return nil
}
