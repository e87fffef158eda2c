package ingest

import (
	"context"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/rules"
)

// roots caches the root of each user group's tree. A group keeps its root
// for life in practice (moving a group to another tenant is not offered),
// and a stale entry would only put some work under another tenant's share
// of rules.Tenants, so entries never expire.
var roots sync.Map // int64 → int64

// TenantRoot returns the root of the user-group tree that group belongs to:
// the key of a tenant's share of rule work (rules.Tenants). Returns
// EUNAVAILABLE when the database fails.
func TenantRoot(ctx context.Context, db *gorm.DB, group int64) (int64, error) {
	if r, ok := roots.Load(group); ok {
		return r.(int64), nil
	}
	var root int64
	err := db.WithContext(ctx).Raw(`WITH RECURSIVE up AS (
			SELECT id, parent FROM user_groups WHERE id = ?
			UNION ALL SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
		SELECT id FROM up WHERE parent IS NULL`, group).Scan(&root).Error
	if err != nil {
		return 0, fmt.Errorf("tenant root: %w", pg.MapError(err))
	}
	if root == 0 {
		root = group // an unknown group counts as its own tenant
	}
	roots.Store(group, root)
	return root, nil
}

// EnterTenant waits for a turn of group's tenant in rules.Tenants, the
// share of rule work one tenant may hold at once, and returns the function
// that ends the turn. Returns the errors of TenantRoot and of Gate.Enter.
func EnterTenant(ctx context.Context, db *gorm.DB, group int64) (leave func(), err error) {
	tenant, err := TenantRoot(ctx, db, group)
	if err != nil {
		return nil, err
	}
	return rules.Tenants.Enter(ctx, tenant)
}
