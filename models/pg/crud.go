package pg

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// Tenant limits a query to the rows of the groups in s. It is the one place
// that enforces tenant isolation for tenant-owned tables.
func Tenant(s models.Scope, column string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if len(s.Groups) == 0 {
			return db.Where("false")
		}
		return db.Where(column+" IN ?", s.Groups)
	}
}

// scoped starts a query on r's table limited to s.
func scoped(ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource) *gorm.DB {
	return db.WithContext(ctx).Table(r.Table).Scopes(Tenant(s, r.Table+"."+r.Tenant()))
}

// List returns one page of r's rows that s may see, and the total count.
func List[T any](ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource, q models.ListQuery) ([]T, int64, error) {
	return Page[T](scoped(ctx, db, s, r), q)
}

// Page returns one page of the rows of query base, filtered and sorted by q,
// and the total count before paging. The caller has scoped base already.
func Page[T any](base *gorm.DB, q models.ListQuery) ([]T, int64, error) {
	base = applyFilters(base, q.Filters)
	var total int64
	if err := base.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, mapError(err)
	}
	items := make([]T, 0, min(q.Limit, 100))
	err := applyOrder(base, q).Limit(q.Limit).Offset(q.Skip).Find(&items).Error
	return items, total, mapError(err)
}

// Get returns the row of r with id, or ENOTFOUND when s may not see it.
func Get[T any](ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource, id int64) (*T, error) {
	v := new(T)
	if err := scoped(ctx, db, s, r).Where(r.Table+".id = ?", id).Take(v).Error; err != nil {
		return nil, mapError(err)
	}
	return v, nil
}

// Create checks v's references against s and inserts it, with the
// memberships its body set.
func Create(ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource, v models.Entity) error {
	if err := CheckRefs(ctx, db, s, v.Refs()); err != nil {
		return err
	}
	return mapError(db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Table(r.Table).Create(v).Error; err != nil {
			return err
		}
		return syncMemberships(tx, s, v)
	}))
}

// Update checks v's references against s and writes every field of v over the
// stored row, which must be visible to s.
func Update(ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource, v models.Entity) error {
	if err := CheckRefs(ctx, db, s, v.Refs()); err != nil {
		return err
	}
	return mapError(db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Table(r.Table).Scopes(Tenant(s, r.Table+"."+r.Tenant())).Where(r.Table+".id = ?", v.Meta().ID).
			Select("*").Omit("id", "created_at").Updates(v)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "not found")
		}
		return syncMemberships(tx, s, v)
	}))
}

// Delete removes the row of r with id; ENOTFOUND when s may not see it,
// ECONFLICT when other rows still refer to it.
func Delete(ctx context.Context, db *gorm.DB, s models.Scope, r *models.Resource, id int64) error {
	res := scoped(ctx, db, s, r).Where(r.Table+".id = ?", id).Delete(nil)
	if res.Error != nil {
		return mapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "not found")
	}
	return nil
}

// CheckRefs returns EINVALID naming the field when a referenced id does not
// exist or belongs to a tenant outside s.
func CheckRefs(ctx context.Context, db *gorm.DB, s models.Scope, refs []models.Ref) error {
	for _, ref := range refs {
		if slices.ContainsFunc(ref.IDs, func(id int64) bool { return id <= 0 }) {
			return models.FieldError(ref.Field, "refers to no %s: ids start at 1", tableNoun(ref.Table))
		}
		ids := uniqueIDs(ref.IDs)
		if len(ids) == 0 {
			continue
		}
		var n int64
		err := db.WithContext(ctx).Table(ref.Table).Scopes(Tenant(s, "user_group")).
			Where("id IN ?", ids).Count(&n).Error
		if err != nil {
			return mapError(err)
		}
		if int(n) != len(ids) {
			return models.FieldError(ref.Field, "refers to an unknown %s", tableNoun(ref.Table))
		}
	}
	return nil
}

// tableNoun names one row of table in an error: error_identities → error
// identity.
func tableNoun(table string) string {
	noun := strings.ReplaceAll(table, "_", " ")
	if strings.HasSuffix(noun, "ies") {
		return strings.TrimSuffix(noun, "ies") + "y"
	}
	return strings.TrimSuffix(noun, "s")
}

func uniqueIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// applyFilters adds the WHERE conditions of fs. Columns come from an
// allow-list; values are bound parameters.
func applyFilters(db *gorm.DB, fs []models.Filter) *gorm.DB {
	for _, f := range fs {
		db = applyFilter(db, f)
	}
	return db
}

var compareOps = map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

func applyFilter(db *gorm.DB, f models.Filter) *gorm.DB {
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
	return db.Where(fmt.Sprintf("%s %s ?", f.Column, compareOps[f.Op]), f.Value)
}

func applyOrder(db *gorm.DB, q models.ListQuery) *gorm.DB {
	if q.Sort == "" {
		return db.Order("id")
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	return db.Order(q.Sort + dir + ", id" + dir)
}
