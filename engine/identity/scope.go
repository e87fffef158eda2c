package identity

import (
	"context"
	"strings"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Authenticate turns a bearer token (a user's access token or a machine key)
// into the caller's scope. Returns EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, bearer string) (models.Scope, error) {
	if strings.HasPrefix(bearer, DeviceKeyPrefix) {
		return s.deviceScope(ctx, bearer)
	}
	id, err := parseAccess(s.Secret, bearer, s.Now())
	if err != nil {
		return models.Scope{}, err
	}
	return s.UserScope(ctx, id)
}

type userGroupRow struct {
	UserGroup  int64
	Admin      int
	DisabledAt *string
}

// UserScope returns the scope of user id: its group and the groups below.
func (s *Service) UserScope(ctx context.Context, id int64) (models.Scope, error) {
	var row userGroupRow
	err := s.DB.WithContext(ctx).Raw(`SELECT u.user_group, g.admin, u.disabled_at::text
		FROM users u JOIN user_groups g ON g.id = u.user_group WHERE u.id = ?`, id).Scan(&row).Error
	if err != nil {
		return models.Scope{}, pg.MapError(err)
	}
	if row.UserGroup == 0 || row.DisabledAt != nil {
		return models.Scope{}, models.Errorf(models.EUNAUTHORIZED, "unknown or disabled user")
	}
	groups, err := s.subtree(ctx, row.UserGroup)
	if err != nil {
		return models.Scope{}, err
	}
	return models.Scope{UserID: id, GroupID: row.UserGroup, Groups: groups, Admin: row.Admin == 1}, nil
}

// subtree returns group and every group below it.
func (s *Service) subtree(ctx context.Context, group int64) ([]int64, error) {
	var ids []int64
	err := s.DB.WithContext(ctx).Raw(`WITH RECURSIVE t AS (
			SELECT id FROM user_groups WHERE id = ?
			UNION ALL SELECT g.id FROM user_groups g JOIN t ON g.parent = t.id)
		SELECT id FROM t`, group).Scan(&ids).Error
	return ids, pg.MapError(err)
}

// tenantRoot returns the top group of the tree that holds group.
func (s *Service) tenantRoot(ctx context.Context, group int64) (int64, error) {
	var root int64
	err := s.DB.WithContext(ctx).Raw(`WITH RECURSIVE up AS (
			SELECT id, parent FROM user_groups WHERE id = ?
			UNION ALL SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
		SELECT id FROM up WHERE parent IS NULL`, group).Scan(&root).Error
	return root, pg.MapError(err)
}

type deviceRow struct {
	ID        int64
	Hostname  string
	UserGroup int64
}

// deviceScope authenticates a machine key. A device sees its whole tenant's
// vouchers but acts only as its own machine.
func (s *Service) deviceScope(ctx context.Context, key string) (models.Scope, error) {
	var m deviceRow
	err := s.DB.WithContext(ctx).Raw(`SELECT m.id, m.hostname, m.user_group FROM machine_keys k
		JOIN machines m ON m.id = k.machine_id WHERE k.key_hash = ?`, hashToken(key)).Scan(&m).Error
	if err != nil {
		return models.Scope{}, pg.MapError(err)
	}
	if m.ID == 0 {
		return models.Scope{}, models.Errorf(models.EUNAUTHORIZED, "unknown machine key")
	}
	root, err := s.tenantRoot(ctx, m.UserGroup)
	if err != nil {
		return models.Scope{}, err
	}
	groups, err := s.subtree(ctx, root)
	if err != nil {
		return models.Scope{}, err
	}
	return models.Scope{MachineID: m.ID, DeviceID: m.Hostname, GroupID: m.UserGroup, Groups: groups}, nil
}

// MachineKey is the answer to a key request; APIKey is shown only once.
type MachineKey struct {
	Machine  int64  `json:"machine"`
	DeviceID string `json:"deviceId"`
	APIKey   string `json:"apiKey"`
}

// IssueMachineKey makes a new key for machine id, replacing any earlier one.
// Returns ENOTFOUND when the scope cannot see the machine.
func (s *Service) IssueMachineKey(ctx context.Context, sc models.Scope, id int64) (MachineKey, error) {
	var hostname string
	err := s.DB.WithContext(ctx).Table("machines").Scopes(pg.Tenant(sc, "user_group")).
		Where("id = ?", id).Pluck("hostname", &hostname).Error
	if err != nil {
		return MachineKey{}, pg.MapError(err)
	}
	if hostname == "" {
		return MachineKey{}, models.Errorf(models.ENOTFOUND, "machine %d not found", id)
	}
	key := DeviceKeyPrefix + randomToken(32)
	err = s.DB.WithContext(ctx).Exec(`INSERT INTO machine_keys (machine_id, key_hash) VALUES (?, ?)
		ON CONFLICT (machine_id) DO UPDATE SET key_hash = EXCLUDED.key_hash, created_at = now()`,
		id, hashToken(key)).Error
	if err != nil {
		return MachineKey{}, pg.MapError(err)
	}
	return MachineKey{Machine: id, DeviceID: hostname, APIKey: key}, nil
}
