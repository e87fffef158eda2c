package identity

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

var userGroupsTable = &models.Resource{Table: "user_groups", TenantColumn: "id"}

func requireAdmin(sc models.Scope) error {
	if !sc.Admin {
		return models.Errorf(models.EFORBIDDEN, "only an admin group may manage users and groups")
	}
	return nil
}

// CreateGroup adds a sub-group below a group of the scope (the caller's own
// by default). Returns EFORBIDDEN, EINVALID.
func (s *Service) CreateGroup(ctx context.Context, sc models.Scope, g *models.UserGroup) error {
	if err := requireAdmin(sc); err != nil {
		return err
	}
	if g.Parent == nil {
		g.Parent = &sc.GroupID
	}
	if !sc.Sees(*g.Parent) {
		return models.FieldError("parent", "refers to an unknown user group")
	}
	if err := g.Validate(); err != nil {
		return err
	}
	g.ID = 0
	return pg.MapError(s.DB.WithContext(ctx).Table("user_groups").Create(g).Error)
}

// UpdateGroup writes g over the stored group. A group cannot move below
// itself, and the caller's own group keeps its place. Returns ENOTFOUND,
// EFORBIDDEN, EINVALID.
func (s *Service) UpdateGroup(ctx context.Context, sc models.Scope, g *models.UserGroup, oldParent *int64) error {
	if err := requireAdmin(sc); err != nil {
		return err
	}
	if g.ID == sc.GroupID && !sameParent(g.Parent, oldParent) {
		return models.FieldError("parent", "your own group cannot be moved")
	}
	if g.ID != sc.GroupID {
		if g.Parent == nil || !sc.Sees(*g.Parent) {
			return models.FieldError("parent", "refers to an unknown user group")
		}
		below, err := s.subtree(ctx, g.ID)
		if err != nil {
			return err
		}
		if slices.Contains(below, *g.Parent) {
			return models.FieldError("parent", "a group cannot be moved below itself")
		}
	}
	if err := g.Validate(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Table("user_groups").Scopes(pg.Tenant(sc, "id")).Where("id = ?", g.ID).
			Updates(map[string]any{"name": g.Name, "parent": g.Parent, "admin": g.Admin, "updated_at": s.Now()})
		if res.Error == nil && res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "not found")
		}
		return res.Error
	})
}

func sameParent(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// DeleteGroup removes an empty group below the caller's own. Returns
// ENOTFOUND, EFORBIDDEN, ECONFLICT while it still owns anything.
func (s *Service) DeleteGroup(ctx context.Context, sc models.Scope, id int64) error {
	if err := requireAdmin(sc); err != nil {
		return err
	}
	if id == sc.GroupID {
		return models.Errorf(models.EFORBIDDEN, "you cannot delete your own group")
	}
	return pg.Delete(ctx, s.DB.DB, sc, userGroupsTable, id)
}

// UpdateUser writes the editable fields of u (username, email, language,
// group). Returns ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) UpdateUser(ctx context.Context, sc models.Scope, u *models.User) error {
	if err := requireAdmin(sc); err != nil && u.ID != sc.UserID {
		return err
	}
	if err := s.checkUser(ctx, sc, u); err != nil {
		return err
	}
	res := s.DB.WithContext(ctx).Table("users").Scopes(pg.Tenant(sc, "user_group")).Where("id = ?", u.ID).
		Updates(map[string]any{"username": u.Username, "email": u.Email, "language": u.Language,
			"user_group": u.UserGroup, "updated_at": s.Now()})
	if res.Error != nil {
		return pg.MapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "not found")
	}
	return nil
}

// DeleteUser removes a user other than the caller. Returns ENOTFOUND,
// EFORBIDDEN.
func (s *Service) DeleteUser(ctx context.Context, sc models.Scope, id int64) error {
	if err := requireAdmin(sc); err != nil {
		return err
	}
	if id == sc.UserID {
		return models.Errorf(models.EFORBIDDEN, "you cannot delete yourself")
	}
	return pg.Delete(ctx, s.DB.DB, sc, &models.Resource{Table: "users"}, id)
}
