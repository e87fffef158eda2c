package notify

import (
	"context"

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
	return pg.Page[models.Language](svc.visibleLanguages(ctx, s), q)
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
