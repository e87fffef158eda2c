package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/engine/batch"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Authenticate turns a bearer token (a user's access token or a machine key)
// into the caller's scope. Returns EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, bearer string) (models.Scope, error) {
	if strings.HasPrefix(bearer, DeviceKeyPrefix) {
		return s.deviceScope(ctx, bearer)
	}
	id, gen, err := parseAccess(s.Secret, bearer, s.Now())
	if err != nil {
		return models.Scope{}, err
	}
	return s.UserScope(ctx, id, gen)
}

type userGroupRow struct {
	UserGroup       int64
	Admin           int
	DisabledAt      *string
	TokenGeneration int64
}

// UserScope returns the scope of user id, holding a token of generation gen:
// its group and the groups below. Returns EUNAUTHORIZED for an unknown or
// disabled user and for a token of an older generation (revoked).
func (s *Service) UserScope(ctx context.Context, id, gen int64) (models.Scope, error) {
	var row userGroupRow
	err := s.DB.WithContext(ctx).Raw(`SELECT u.user_group, g.admin, u.disabled_at::text, u.token_generation
		FROM users u JOIN user_groups g ON g.id = u.user_group WHERE u.id = ?`, id).Scan(&row).Error
	if err != nil {
		return models.Scope{}, pg.MapError(err)
	}
	if row.UserGroup == 0 || row.DisabledAt != nil || row.TokenGeneration != gen {
		return models.Scope{}, models.Errorf(models.EUNAUTHORIZED, "unknown or disabled user, or a revoked token")
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

// deviceScopeSQL authenticates a machine key in one round trip: the key and
// its machine, the root of the machine group's tree and every group below
// it.
const deviceScopeSQL = `WITH RECURSIVE m AS (
		SELECT m.id, m.hostname, m.user_group FROM machine_keys k JOIN machines m ON m.id = k.machine_id
		WHERE k.key_hash = $1),
	up AS (
		SELECT g.id, g.parent FROM user_groups g JOIN m ON g.id = m.user_group
		UNION ALL SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent),
	t AS (
		SELECT id FROM up WHERE parent IS NULL
		UNION ALL SELECT g.id FROM user_groups g JOIN t ON g.parent = t.id)
	SELECT m.id, m.hostname, m.user_group, ARRAY(SELECT id FROM t) FROM m`

// tenantGroups caches, per Service, the groups of a machine group's tenant
// (Service.TenantGroupsTTL) and the machine found for a key hash. A key found
// less than Service.DeviceKeyTTL ago is trusted without a query; an older one, while its
// tenant's groups are cached, is checked by one statement shared with the
// other keys being checked at the time (keys); else the key and the
// tenant's groups are read in one query (deviceScopeSQL).
type tenantGroups struct {
	keyTTL, groupsTTL time.Duration
	mu                sync.Mutex
	groups            map[int64]cachedGroups
	seen              map[string]seenKey
	prunedAt          time.Time // when seen was last pruned
	keys              batch.Group[string, keyMachine]
}

type cachedGroups struct {
	ids     []int64
	expires time.Time
}

// seenKey is the machine found for a key hash, and when.
type seenKey struct {
	m  keyMachine
	at time.Time
}

// keyMachine is the machine of a key; id is 0 for an unknown key.
type keyMachine struct {
	id, group int64
	hostname  string
}

func (m keyMachine) scope(groups []int64) models.Scope {
	return models.Scope{MachineID: m.id, DeviceID: m.hostname, GroupID: m.group, Groups: groups}
}

var scopeCaches sync.Map // *Service → *tenantGroups

func (s *Service) tenantCache() *tenantGroups {
	if c, ok := scopeCaches.Load(s); ok {
		return c.(*tenantGroups)
	}
	c, _ := scopeCaches.LoadOrStore(s, &tenantGroups{keyTTL: s.DeviceKeyTTL, groupsTTL: s.TenantGroupsTTL,
		groups: map[int64]cachedGroups{}, seen: map[string]seenKey{},
		keys: batch.Group[string, keyMachine]{Run: s.lookupKeys, Max: 256}})
	return c.(*tenantGroups)
}

// get returns the cached tenant groups of machine group g.
func (c *tenantGroups) get(g int64, now time.Time) ([]int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.groups[g]
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e.ids, true
}

// put caches ids as the tenant groups of machine group g.
func (c *tenantGroups) put(g int64, ids []int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.groups {
		if now.After(e.expires) {
			delete(c.groups, k)
		}
	}
	c.groups[g] = cachedGroups{ids: ids, expires: now.Add(c.groupsTTL)}
}

// machineOf returns the machine last found for key hash h, and whether it
// was found less than keyTTL ago.
func (c *tenantGroups) machineOf(h string, now time.Time) (m keyMachine, trusted, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.seen[h]
	return e.m, ok && now.Sub(e.at) < c.keyTTL, ok
}

// remember records m as found for key hash h at now. An entry is useful
// only while it is trusted or its tenant's groups are cached, so entries
// older than both times are dropped, at most once per such time.
func (c *tenantGroups) remember(h string, m keyMachine, now time.Time) {
	keep := max(c.keyTTL, c.groupsTTL)
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.prunedAt) > keep {
		c.prunedAt = now
		for k, e := range c.seen {
			if now.Sub(e.at) > keep {
				delete(c.seen, k)
			}
		}
	}
	c.seen[h] = seenKey{m: m, at: now}
}

// forget drops what is remembered for the keys of machine id.
func (c *tenantGroups) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.seen {
		if e.m.id == id {
			delete(c.seen, k)
		}
	}
}

// keysSQL looks up the machines of a group of key hashes, numbered by hash.
const keysSQL = `SELECT i.n, x.id, x.hostname, x.user_group
	FROM unnest($1::text[]) WITH ORDINALITY AS i(h, n)
	CROSS JOIN LATERAL (SELECT m.id, m.hostname, m.user_group
		FROM machine_keys k JOIN machines m ON m.id = k.machine_id WHERE k.key_hash = i.h) x`

// lookupKeys runs keysSQL for hashes.
func (s *Service) lookupKeys(ctx context.Context, hashes []string) ([]keyMachine, error) {
	out := make([]keyMachine, len(hashes))
	err := s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, keysSQL, hashes)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n int
			var m keyMachine
			if err := rows.Scan(&n, &m.id, &m.hostname, &m.group); err != nil {
				return err
			}
			if n >= 1 && n <= len(out) {
				out[n-1] = m
			}
		}
		return rows.Err()
	})
	return out, err
}

// recheck looks key hash h up again with the other keys being looked up
// at the time; ok is false when its machine's tenant groups are not cached
// (the machine moved), so that they must be read too.
func (c *tenantGroups) recheck(ctx context.Context, h string, now time.Time) (models.Scope, bool, error) {
	m, err := c.keys.Do(ctx, h)
	if err != nil {
		return models.Scope{}, false, pg.MapError(err)
	}
	if m.id == 0 {
		return models.Scope{}, false, models.Errorf(models.EUNAUTHORIZED, "unknown machine key")
	}
	ids, ok := c.get(m.group, now)
	if ok {
		c.remember(h, m, now)
	}
	return m.scope(ids), ok, nil
}

// deviceScope authenticates a machine key. A device sees its whole tenant's
// vouchers but acts only as its own machine. At most one query (see
// tenantGroups).
func (s *Service) deviceScope(ctx context.Context, key string) (models.Scope, error) {
	h := hashToken(key)
	c := s.tenantCache()
	now := time.Now()
	if m, trusted, ok := c.machineOf(h, now); ok {
		if ids, cached := c.get(m.group, now); cached && trusted {
			return m.scope(ids), nil
		} else if cached {
			if sc, ok, err := c.recheck(ctx, h, now); err != nil || ok {
				return sc, err
			}
		}
	}
	var m keyMachine
	var groups models.IDList
	err := s.DB.SQL.QueryRowContext(ctx, deviceScopeSQL, h).Scan(&m.id, &m.hostname, &m.group, &groups)
	if errors.Is(err, sql.ErrNoRows) {
		return models.Scope{}, models.Errorf(models.EUNAUTHORIZED, "unknown machine key")
	}
	if err != nil {
		return models.Scope{}, pg.MapError(err)
	}
	c.put(m.group, groups, now)
	c.remember(h, m, now)
	return m.scope(groups), nil
}

// ForgetMachine drops what this process remembers of machine id's key, so
// that a change to the machine (a new key, a new hostname or group, its
// deletion) holds for its next request here.
func (s *Service) ForgetMachine(id int64) { s.tenantCache().forget(id) }

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
	s.ForgetMachine(id) // the old key stops at once here, within DeviceKeyTTL elsewhere
	return MachineKey{Machine: id, DeviceID: hostname, APIKey: key}, nil
}
