package identity

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pgtest"
)

// A device's scope comes from one query; the tenant's group list is cached
// for TenantGroupsTTL, a key found for DeviceKeyTTL.
func TestDeviceScopeCache(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpenDB(t)
	s := New(db, []byte("0123456789abcdef0123456789abcdef"))
	s.TenantGroupsTTL, s.DeviceKeyTTL = 200*time.Millisecond, 100*time.Millisecond
	var root, sub, other, loc, m int64
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDo(db.Raw(`INSERT INTO user_groups (name) VALUES ('acme') RETURNING id`).Scan(&root).Error)
	mustDo(db.Raw(`INSERT INTO user_groups (name, parent) VALUES ('sub', ?) RETURNING id`, root).Scan(&sub).Error)
	mustDo(db.Raw(`INSERT INTO user_groups (name) VALUES ('other') RETURNING id`).Scan(&other).Error)
	mustDo(db.Raw(`INSERT INTO locations (user_group, name) VALUES (?, 'l') RETURNING id`, sub).Scan(&loc).Error)
	mustDo(db.Raw(`INSERT INTO machines (user_group, name, hostname, location) VALUES (?, 'm', 'host-m', ?) RETURNING id`, sub, loc).Scan(&m).Error)
	mgr := models.Scope{UserID: 1, GroupID: root, Groups: []int64{root, sub}}
	k1, err := s.IssueMachineKey(ctx, mgr, m)
	mustDo(err)

	scope := func(key string) (models.Scope, error) { return s.Authenticate(ctx, key) }
	sc, err := scope(k1.APIKey)
	mustDo(err)
	groups := slices.Sorted(slices.Values(sc.Groups))
	if sc.MachineID != m || sc.DeviceID != "host-m" || sc.GroupID != sub || !slices.Equal(groups, []int64{root, sub}) {
		t.Fatalf("scope = %+v, want machine %d in %d seeing %d and %d", sc, m, sub, root, sub)
	}
	if _, err := scope(k1.APIKey); err != nil { // from the cache
		t.Fatal(err)
	}

	// a key replaced through this process stops at once, even with the key
	// and the group list cached
	k2, err := s.IssueMachineKey(ctx, mgr, m)
	mustDo(err)
	if _, err := scope(k1.APIKey); models.CodeOf(err) != models.EUNAUTHORIZED {
		t.Fatalf("replaced key: err = %v, want unauthorized", err)
	}
	if _, err := scope(k2.APIKey); err != nil {
		t.Fatal(err)
	}

	// a new group of the tenant reaches the scope after the TTL
	var newer int64
	mustDo(db.Raw(`INSERT INTO user_groups (name, parent) VALUES ('newer', ?) RETURNING id`, root).Scan(&newer).Error)
	time.Sleep(s.TenantGroupsTTL + 50*time.Millisecond)
	sc, err = scope(k2.APIKey)
	mustDo(err)
	if !sc.Sees(newer) || sc.Sees(other) {
		t.Fatalf("groups after the TTL = %v, want %d in and %d out", sc.Groups, newer, other)
	}

	// a deleted machine stops within DeviceKeyTTL
	mustDo(db.Exec(`DELETE FROM machines WHERE id = ?`, m).Error)
	time.Sleep(s.DeviceKeyTTL + 20*time.Millisecond)
	if _, err := scope(k2.APIKey); models.CodeOf(err) != models.EUNAUTHORIZED {
		t.Fatalf("deleted machine: err = %v, want unauthorized", err)
	}
}
