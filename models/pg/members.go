package pg

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// syncMemberships makes the groups v's body named (models.Member) the ones
// that hold v among the groups s sees: v is added to the named groups and
// removed from the others. Groups outside s are never touched, so a
// manager of a sub-group cannot take a machine out of its parent's groups.
func syncMemberships(tx *gorm.DB, s models.Scope, v models.Entity) error {
	m, ok := v.(models.Member)
	if !ok {
		return nil
	}
	id := v.Meta().ID
	for _, ms := range m.Memberships() {
		if ms.IDs == nil {
			continue
		}
		if err := syncMembership(tx, s, ms, id); err != nil {
			return err
		}
	}
	return nil
}

// syncMembership runs the two statements of one membership; the table and
// column come from models, never from a request.
func syncMembership(tx *gorm.DB, s models.Scope, ms models.Membership, id int64) error {
	groups := []int64(*ms.IDs)
	if groups == nil {
		groups = []int64{}
	}
	add := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = array_append(%[2]s, @id), updated_at = now()
		WHERE id = ANY(@groups) AND NOT (@id = ANY(%[2]s)) AND user_group = ANY(@scope)`, ms.Table, ms.Column)
	remove := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = array_remove(%[2]s, @id), updated_at = now()
		WHERE NOT (id = ANY(@groups)) AND @id = ANY(%[2]s) AND user_group = ANY(@scope)`, ms.Table, ms.Column)
	args := map[string]any{"id": id, "groups": models.IDList(groups), "scope": models.IDList(s.Groups)}
	if err := tx.Exec(add, args).Error; err != nil {
		return err
	}
	return tx.Exec(remove, args).Error
}

// Adopt moves the rows each ref names into user group group: the seed sets
// a group's locations and location groups from the group's side. Every
// row must be in s (EINVALID naming the field otherwise, before anything
// moves); rows not named stay where they are.
func Adopt(ctx context.Context, db *gorm.DB, s models.Scope, group int64, refs []models.Ref) error {
	if err := CheckRefs(ctx, db, s, refs); err != nil {
		return err
	}
	return mapError(db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, ref := range refs {
			if len(ref.IDs) == 0 {
				continue
			}
			err := tx.Table(ref.Table).Scopes(Tenant(s, "user_group")).Where("id IN ?", ref.IDs).
				Updates(map[string]any{"user_group": group, "updated_at": gorm.Expr("now()")}).Error
			if err != nil {
				return err
			}
		}
		return nil
	}))
}
