package vouchers

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
)

// The reads of concurrent validates and redeems are grouped too (s.reads):
// one round trip with two statements reads the devices and the vouchers
// (with an earlier answer for redeems) of every request that arrived while
// the previous group's read ran.

// readItem is one request's read: the device and the voucher code it
// names, seen from groups; orderID asks for an earlier answer to that
// order of the device. d is the device when the cache had it.
type readItem struct {
	groups   []int64
	deviceID string
	code     string
	orderID  string
	d        *device
}

// deviceCache keeps the devices the reads found, by deviceId and owning
// group: hostnames are unique per tenant only, so two tenants' machines of
// one hostname each keep their own entry.
type deviceCache struct {
	mu sync.Mutex
	m  map[string][]cachedDevice
}

type cachedDevice struct {
	d       *device
	expires time.Time
}

// get returns the device with id when it is cached, fresh and inside groups.
func (c *deviceCache) get(id string, groups []int64, now time.Time) *device {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m[id] {
		if now.Before(e.expires) && slices.Contains(groups, e.d.UserGroup) {
			return e.d
		}
	}
	return nil
}

func (c *deviceCache) put(d *device, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 { // machines deleted or renamed leave entries; start over
		c.m = map[string][]cachedDevice{}
	}
	e := cachedDevice{d: d, expires: now.Add(ttl)}
	for i, old := range c.m[d.Hostname] {
		if old.d.UserGroup == d.UserGroup || !now.Before(old.expires) {
			c.m[d.Hostname][i] = e
			return
		}
	}
	c.m[d.Hostname] = append(c.m[d.Hostname], e)
}

// readResult is what a read found: the device (nil when the caller cannot
// see it), the voucher with its campaign (nil for an unknown code) and the
// answer of an earlier redeem of the order (nil when there is none).
type readResult struct {
	d    *device
	t    *target
	prev []byte
}

// devicesSQL reads the devices of a group of requests; $1 holds each
// request's visible groups as an array literal, $2 the device ids. It
// returns a row, numbered by request, per device found. The lateral
// subqueries with LIMIT 1 keep each lookup on its index whatever the plan
// thinks of the array's length.
const devicesSQL = `SELECT i.n, x.*
	FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(groups, device, n)
	CROSS JOIN LATERAL (SELECT ` + deviceCols + `
		FROM machines m JOIN locations l ON l.id = m.location
		WHERE m.hostname = i.device AND m.user_group = ANY (i.groups::bigint[]) LIMIT 1) x`

// targetsSQL reads the vouchers and campaigns of a group of requests, and
// for each an earlier answer for (voucher, device, order). It returns a
// row, numbered by request, per voucher found.
var targetsSQL = `SELECT i.n, x.*
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS i(groups, code, device, order_id, n)
	CROSS JOIN LATERAL (SELECT ` + prefixed("v.", voucherCols) + `, ` + campaignCols + `,
			(SELECT ` + earlierAnswer + ` FROM redemptions r
				WHERE i.order_id <> '' AND r.voucher = v.id AND r.device_id = i.device AND r.order_id = i.order_id)
		FROM vouchers v JOIN campaigns c ON c.id = v.campaign
		WHERE v.code = i.code AND v.user_group = ANY (i.groups::bigint[]) LIMIT 1) x`

// readBatch reads a group of requests in one round trip (the Run of s.reads).
func (s *Service) readBatch(ctx context.Context, items []readItem) ([]readResult, error) {
	n := len(items)
	groups, devices, codes, orders := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	var dGroups, dIDs []string // the devices to read
	var dItem []int            // their items
	out := make([]readResult, n)
	for i, it := range items {
		groups[i], devices[i], codes[i], orders[i] = models.IDList(it.groups).Literal(), it.deviceID, it.code, it.orderID
		if out[i].d = it.d; it.d == nil {
			dGroups, dIDs, dItem = append(dGroups, groups[i]), append(dIDs, it.deviceID), append(dItem, i)
		}
	}
	now := time.Now()
	err := s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		b := &pgx.Batch{}
		if len(dIDs) > 0 {
			b.Queue(devicesSQL, dGroups, dIDs)
		}
		b.Queue(targetsSQL, groups, codes, devices, orders)
		br := c.SendBatch(ctx, b)
		defer br.Close()
		if len(dIDs) > 0 {
			if err := s.scanDevices(br, dItem, out, now); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var i int
			var prev []byte
			t, _, err := scanTarget(prefixRow{rows, &i}, &prev)
			if err != nil {
				return err
			}
			if i >= 1 && i <= n && out[i-1].t == nil {
				out[i-1].t, out[i-1].prev = t, prev
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return br.Close()
	})
	return out, err
}

// scanDevices reads the result of devicesSQL into the results of the
// items dItem and caches the devices.
func (s *Service) scanDevices(br pgx.BatchResults, dItem []int, out []readResult, now time.Time) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		var i int
		d, _, err := scanDevice(prefixRow{rows, &i})
		if err != nil {
			return err
		}
		if i >= 1 && i <= len(dItem) && out[dItem[i-1]].d == nil {
			out[dItem[i-1]].d = d
			s.devices.put(d, now, s.DeviceTTL)
		}
	}
	return rows.Err()
}

// read reads one request's device and voucher through the read group,
// the device from the cache when it is there, and keeps the voucher as a
// known row (known.go).
func (s *Service) read(ctx context.Context, sc models.Scope, deviceID, code, orderID string) (readResult, error) {
	groups := groupsOf(sc)
	readAt := time.Now()
	rr, err := s.reads.Do(ctx, readItem{groups: groups, deviceID: deviceID, code: code, orderID: orderID,
		d: s.devices.get(deviceID, groups, readAt)})
	if err == nil && rr.t != nil {
		s.known.put(sc, code, knownRow{t: rr.t, readAt: readAt}, s.KnownRowTTL)
	}
	return rr, err
}

// prefixRow scans a row whose first column is the request's number into n
// and the rest into the destinations given to Scan.
type prefixRow struct {
	rows pgx.Rows
	n    *int
}

func (r prefixRow) Scan(dest ...any) error {
	return r.rows.Scan(append([]any{r.n}, dest...)...)
}
