package alerts

import (
	"context"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// indexKey is the static part of what an item must have for an observer to
// match it: type, error identity (0 = any), payment method ("" = any) and
// machine (0 = every machine of the tenant).
type indexKey struct {
	kind    string
	errorID int64
	method  string
	machine int64
}

// groupIndex holds the observers that can see the items of one user group
// (the observers of the group and of the groups above it), by static key.
type groupIndex struct {
	byKey map[indexKey][]*observer
	byID  map[int64]*observer
}

// index caches a groupIndex per user group. Every observer write bumps
// alert_index_version (a trigger), and a batch whose transaction reads a
// newer version than the cache's drops the cache, so that every replica
// sees observer changes at its next batch.
type index struct {
	mu      sync.Mutex
	version int64
	groups  map[int64]*groupIndex
}

func newIndex() *index { return &index{version: -1, groups: map[int64]*groupIndex{}} }

// forGroups returns the index of each user group, loading what is missing
// with tx; version is alert_index_version as tx reads it.
func (x *index) forGroups(ctx context.Context, tx *gorm.DB, groups []int64, version int64) (map[int64]*groupIndex, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if version != x.version {
		x.version, x.groups = version, map[int64]*groupIndex{}
	}
	out := make(map[int64]*groupIndex, len(groups))
	for _, g := range groups {
		gi, ok := x.groups[g]
		if !ok {
			var err error
			if gi, err = loadGroupIndex(ctx, tx, g); err != nil {
				return nil, err
			}
			x.groups[g] = gi
		}
		out[g] = gi
	}
	return out, nil
}

// ancestorsSQL selects a group and every group above it.
const ancestorsSQL = `WITH RECURSIVE up AS (
	SELECT id, parent FROM user_groups WHERE id = ?
	UNION
	SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
SELECT id FROM up`

// loadGroupIndex indexes the observers that see the items of group.
func loadGroupIndex(ctx context.Context, tx *gorm.DB, group int64) (*groupIndex, error) {
	var rows []models.AlertObserver
	err := tx.WithContext(ctx).Table("alert_observers").
		Where("user_group IN ("+ancestorsSQL+")", group).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("observer index: %w", pg.MapError(err))
	}
	gi := &groupIndex{byKey: map[indexKey][]*observer{}, byID: map[int64]*observer{}}
	for _, r := range rows {
		o, err := compileObserver(r)
		if err != nil {
			continue // saved before its condition stopped compiling: it cannot match
		}
		gi.add(o)
	}
	return gi, nil
}

// add files o under each of its keys.
func (gi *groupIndex) add(o *observer) {
	gi.byID[o.ID] = o
	k := indexKey{kind: o.Type}
	if o.Error != nil {
		k.errorID = *o.Error
	}
	if o.PaymentMethod != nil {
		k.method = *o.PaymentMethod
	}
	if len(o.Machines) == 0 {
		gi.byKey[k] = append(gi.byKey[k], o)
		return
	}
	for _, m := range o.Machines {
		mk := k
		mk.machine = m
		gi.byKey[mk] = append(gi.byKey[mk], o)
	}
}

// candidates appends to out the observers whose static keys fit it; each
// at most once, since an observer has one error identity and one payment
// method.
func (gi *groupIndex) candidates(out []*observer, it *item) []*observer {
	look := func(errorID int64, method string) {
		out = append(out, gi.byKey[indexKey{it.kind, errorID, method, it.machine}]...)
		out = append(out, gi.byKey[indexKey{it.kind, errorID, method, 0}]...)
	}
	if it.kind == models.ObserverEvent {
		if it.errorID != 0 {
			look(it.errorID, "")
		}
		look(0, "")
		return out
	}
	for _, m := range it.methods {
		look(0, m)
	}
	look(0, "")
	return out
}
