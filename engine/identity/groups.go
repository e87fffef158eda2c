package identity

import (
	"context"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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
// itself, and the fields of the caller's own group that carry rights (its
// parent and admin flag) stay as they are: an admin grants rights below its
// group, never to it or beside it. Returns ENOTFOUND, EFORBIDDEN, EINVALID.
func (s *Service) UpdateGroup(ctx context.Context, sc models.Scope, g *models.UserGroup) error {
	if err := requireAdmin(sc); err != nil {
		return err
	}
	if err := g.Validate(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var old models.UserGroup
		if err := lockScoped(tx, sc, "user_groups", "id", g.ID, &old); err != nil {
			return err
		}
		if err := s.checkGroupRights(ctx, sc, &old, g); err != nil {
			return err
		}
		return tx.Table("user_groups").Where("id = ?", g.ID).
			Updates(map[string]any{"name": g.Name, "parent": g.Parent, "admin": g.Admin, "updated_at": s.Now()}).Error
	})
}

// checkGroupRights refuses changes to the rights of the caller's own group,
// and a parent outside the scope or below the group itself.
func (s *Service) checkGroupRights(ctx context.Context, sc models.Scope, old, g *models.UserGroup) error {
	if g.ID == sc.GroupID {
		if !sameParent(g.Parent, old.Parent) || g.Admin != old.Admin {
			return models.Errorf(models.EFORBIDDEN, "nobody changes the parent or admin flag of their own group")
		}
		return nil
	}
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
	return nil
}

// lockScoped reads row id of table into dst and locks it for the rest of
// tx, when sc sees it through the group in column. Returns ENOTFOUND.
func lockScoped(tx *gorm.DB, sc models.Scope, table, column string, id int64, dst any) error {
	return tx.Table(table).Scopes(pg.Tenant(sc, column)).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id = ?", id).Take(dst).Error
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

// UpdateUser writes u over the stored user. A user may change its own
// username, email and language. The fields that carry rights, userGroup and
// disabledAt, only an admin may change, on users other than itself and only
// to a group of its scope (checkUser). Any time sent as disabledAt disables
// the user (the server records its own time) and ends its tokens; null
// enables it again. Returns ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *Service) UpdateUser(ctx context.Context, sc models.Scope, u *models.User) error {
	if err := requireAdmin(sc); err != nil && u.ID != sc.UserID {
		return err
	}
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var old models.User
		if err := lockScoped(tx, sc, "users", "user_group", u.ID, &old); err != nil {
			return err
		}
		if err := checkUserRights(sc, &old, u); err != nil {
			return err
		}
		if err := s.checkUser(ctx, sc, u); err != nil {
			return err
		}
		changes := map[string]any{"username": u.Username, "email": u.Email, "language": u.Language,
			"user_group": u.UserGroup, "updated_at": s.Now()}
		switch {
		case old.DisabledAt == nil && u.DisabledAt != nil:
			changes["disabled_at"] = s.Now()
			if _, err := revokeTokens(tx, u.ID); err != nil {
				return err
			}
		case old.DisabledAt != nil && u.DisabledAt == nil:
			changes["disabled_at"] = nil
		}
		return tx.Table("users").Where("id = ?", u.ID).Updates(changes).Error
	})
}

// checkUserRights returns EFORBIDDEN when u changes the rights of old (its
// group, or whether it is disabled) and the caller may not: only admins
// change rights, and nobody changes its own.
func checkUserRights(sc models.Scope, old, u *models.User) error {
	if old.UserGroup == u.UserGroup && (old.DisabledAt == nil) == (u.DisabledAt == nil) {
		return nil
	}
	if err := requireAdmin(sc); err != nil {
		return err
	}
	if u.ID == sc.UserID {
		return models.Errorf(models.EFORBIDDEN, "nobody changes their own group or disables themselves")
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
