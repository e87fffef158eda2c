package vouchers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// The device hot path (validate and redeem) talks to PostgreSQL through the
// pgx connection under the pool's database/sql connection, so that the
// statements of one step go out as one pipelined batch (one round trip) and
// rows are scanned into plain fields without gorm's reflection:
//
//	validate: [device, voucher+campaign]            → decide → [lock+log | log]
//	redeem:   [device, voucher+campaign+earlier answer] → decide → guarded
//	          UPDATE+redemption+log (one statement); after a conflict:
//	          [BEGIN, device, voucher+campaign FOR UPDATE, earlier answer]
//	          → decide → [period reset?, guarded UPDATE+redemption+log, COMMIT]
//
// Each statement of a batch runs with its own snapshot (READ COMMITTED), so
// the earlier-answer lookup that follows the row lock sees a redemption
// committed by the transaction that held the lock before.

// withConn runs fn on one pooled connection as a *pgx.Conn. A connection
// left inside a transaction or closed by fn is discarded by the pool.
func (s *Service) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := s.DB.SQL.Conn(ctx)
	if err != nil {
		return pg.MapError(err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("vouchers: the database driver is %T, not pgx", dc)
		}
		return fn(sc.Conn())
	})
}

const deviceSQL = `SELECT m.id, m.name, m.hostname, m.tag, l.id, l.name, l.city, l.country, l.external_ref,
		l.time_zone,
		ARRAY(SELECT g.id FROM machine_groups g WHERE g.machines @> ARRAY[m.id] ORDER BY g.id),
		ARRAY(SELECT g.id FROM location_groups g WHERE g.locations @> ARRAY[l.id] ORDER BY g.id)
	FROM machines m JOIN locations l ON l.id = m.location
	WHERE m.hostname = $1 AND m.user_group = ANY ($2) LIMIT 1`

// voucherCols are the voucher columns the decision needs, xmin (the row
// version) last; the target read and the redeem's UPDATE … RETURNING both
// give them, in this order (scanVoucher).
const voucherCols = `id, user_group, code, campaign, type, value, value_type, redemption_limit, reset_frequency,
	expires_on, time_zone, validation_rules, redemption_rules, redemption_count, total_redemption_count,
	amount_redeemed, total_amount_redeemed, period_start, lock_owner, locked_till, status, xmin`

// targetSQL reads the voucher and the campaign columns the decision needs.
var targetSQL = `SELECT ` + prefixed("v.", voucherCols) + `,
		c.id, c.name, c.type, c.value_type, c.voucher_value, c.value_expr, c.redemption_limit, c.reset_frequency,
		c.expires_on, c.currency, c.time_zone, c.status, c.validation_rules, c.redemption_rules
	FROM vouchers v JOIN campaigns c ON c.id = v.campaign
	WHERE v.code = $1 AND v.user_group = ANY ($2) LIMIT 1`

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// targetEarlierSQL is targetSQL with the earlier answer for (voucher,
// deviceId $3, order.id $4) as its last column, NULL when there is none:
// the optimistic redeem's read of the voucher and of an earlier answer in
// one statement (one snapshot). The locked redeem keeps them apart
// (earlierSQL), so that the lookup after the row lock sees what the
// previous holder of the lock committed.
var targetEarlierSQL = strings.Replace(targetSQL, `
	FROM vouchers v`, `,
		(SELECT r.response FROM redemptions r WHERE r.voucher = v.id AND r.device_id = $3 AND r.order_id = $4)
	FROM vouchers v`, 1)

const earlierSQL = `SELECT r.response FROM redemptions r JOIN vouchers v ON v.id = r.voucher
	WHERE v.code = $1 AND v.user_group = ANY ($2) AND r.device_id = $3 AND r.order_id = $4`

const logSQL = `INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success,
		request, response, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// lockLogSQL locks the voucher to a device unless another device holds a
// lock that has not run out, and logs the validate with the answer that
// matches the outcome ($9 when locked, $10 when not).
const lockLogSQL = `WITH u AS (
		UPDATE vouchers SET lock_owner = $3, locked_till = $10
		WHERE id = $2 AND (lock_owner IS NULL OR lock_owner = $3 OR locked_till <= $11) RETURNING id)
	INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
		response, currency)
	SELECT $1, $2, $4, $5, 'validate', (SELECT count(*) FROM u)::smallint, $6,
		CASE WHEN EXISTS (SELECT 1 FROM u) THEN $8 ELSE $9 END, $7
	RETURNING success = 1`

// spendSQL is the write of one redeem in one statement: the conditional
// UPDATE whose WHERE states the invariant (count under the limit, amount
// within a gift's balance), the redemption row only when it matched, and
// the log with the answer that matches the outcome. It returns whether the
// UPDATE matched.
const spendSQL = `WITH u AS (
		UPDATE vouchers SET
			redemption_count = redemption_count + 1, total_redemption_count = total_redemption_count + 1,
			amount_redeemed = amount_redeemed + $3::bigint, total_amount_redeemed = total_amount_redeemed + $3::bigint,
			last_redemption_at = $4, last_redemption_location = $5, lock_owner = NULL, locked_till = NULL,
			updated_at = $4
		WHERE id = $2 AND ($6::bigint = 0 OR redemption_count < $6::bigint)
			AND ($7::bigint < 0 OR amount_redeemed + $3::bigint <= $7::bigint)
		RETURNING id),
	r AS (
		INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine, location, amount,
			period_start, response)
		SELECT $1, u.id, $8, $9, $10, $11, $12, $3, $13, $14 FROM u RETURNING id)
	INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
		response, currency)
	SELECT $1, $2, $15, $5, 'redeem', (SELECT count(*) FROM u)::smallint, $16,
		CASE WHEN EXISTS (SELECT 1 FROM u) THEN $14 ELSE $17 END, $18
	RETURNING success = 1`

// spendOnceSQL is the whole write of a redeem decided on a snapshot, as
// one statement and so one transaction: the UPDATE matches only the row
// version the decision saw (xmin) and states the invariant in its WHERE
// (after the period reset $18, count under the limit and amount within a
// gift's balance); the redemption and the log are inserted only when it
// matched; it returns the voucher row as written. No row means the voucher
// changed since the read: read again.
var spendOnceSQL = `WITH u AS (
		UPDATE vouchers SET
			redemption_count = CASE WHEN $18 THEN 0 ELSE redemption_count END + 1,
			total_redemption_count = total_redemption_count + 1,
			amount_redeemed = CASE WHEN $18 THEN 0 ELSE amount_redeemed END + $3::bigint,
			total_amount_redeemed = total_amount_redeemed + $3::bigint,
			period_start = COALESCE($13, period_start),
			last_reset_at = CASE WHEN $18 THEN $4 ELSE last_reset_at END,
			last_redemption_at = $4, last_redemption_location = $5, lock_owner = NULL, locked_till = NULL,
			updated_at = $4
		WHERE id = $2 AND xmin = $19::xid
			AND ($6::bigint = 0 OR CASE WHEN $18 THEN 0 ELSE redemption_count END < $6::bigint)
			AND ($7::bigint < 0 OR CASE WHEN $18 THEN 0 ELSE amount_redeemed END + $3::bigint <= $7::bigint)
		RETURNING ` + voucherCols + `),
	r AS (
		INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine, location, amount,
			period_start, response)
		SELECT $1, u.id, $8, $9, $10, $11, $12, $3, $13, $14 FROM u RETURNING id),
	l AS (
		INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
			response, currency)
		SELECT $1, u.id, $15, $5, 'redeem', 1, $16, $14, $17 FROM u RETURNING id)
	SELECT ` + voucherCols + ` FROM u`

const resetSQL = `UPDATE vouchers SET period_start = $1,
		redemption_count = CASE WHEN $2 THEN 0 ELSE redemption_count END,
		amount_redeemed = CASE WHEN $2 THEN 0 ELSE amount_redeemed END,
		last_reset_at = CASE WHEN $2 THEN $3 ELSE last_reset_at END
	WHERE id = $4`

// scanDevice reads a deviceSQL row; found is false when no machine matched.
func scanDevice(row pgx.Row) (*device, bool, error) {
	var d device
	var mg, lg []int64
	err := row.Scan(&d.MachineID, &d.Name, &d.Hostname, &d.Tag, &d.LocationID, &d.LocationName, &d.City,
		&d.Country, &d.ExternalRef, &d.TimeZone, &mg, &lg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	d.MachineGroups, d.LocationGroups = models.IDList(mg), models.IDList(lg)
	if d.MachineGroups == nil {
		d.MachineGroups = models.IDList{}
	}
	if d.LocationGroups == nil {
		d.LocationGroups = models.IDList{}
	}
	return &d, true, nil
}

// voucherDest returns the scan destinations of voucherCols.
func voucherDest(v *models.Voucher, version *uint32) []any {
	return []any{&v.ID, &v.UserGroup, &v.Code, &v.Campaign, &v.Type, &v.Value, &v.ValueType, &v.RedemptionLimit,
		&v.ResetFrequency, &v.ExpiresOn, &v.TimeZone, &v.ValidationRules, &v.RedemptionRules, &v.RedemptionCount,
		&v.TotalRedemptionCount, &v.AmountRedeemed, &v.TotalAmountRedeemed, &v.PeriodStart, &v.LockOwner,
		&v.LockedTill, &v.Status, version}
}

// scanTarget reads a targetSQL row (with extra, the destinations of more
// columns after it); found is false for an unknown code.
func scanTarget(row pgx.Row, extra ...any) (*target, bool, error) {
	t := &target{}
	c := &t.C
	err := row.Scan(append(append(voucherDest(&t.V, &t.version),
		&c.ID, &c.Name, &c.Type, &c.ValueType, &c.VoucherValue, &c.ValueExpr, &c.RedemptionLimit, &c.ResetFrequency,
		&c.ExpiresOn, &c.Currency, &c.TimeZone, &c.Status, &c.ValidationRules, &c.RedemptionRules), extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return t, true, nil
}

func forbiddenDevice(deviceID string) error {
	return models.Errorf(models.EFORBIDDEN, "deviceId %q is not a machine you can see", deviceID)
}

// checkDeviceID checks the deviceId a caller speaks for.
func checkDeviceID(sc models.Scope, deviceID string) error {
	if deviceID == "" {
		return models.FieldError("deviceId", "is required")
	}
	if sc.IsDevice() && deviceID != sc.DeviceID {
		return models.Errorf(models.EFORBIDDEN, "deviceId must be this device's own id")
	}
	return nil
}

// Validate checks a voucher for a device without spending it; with
// lockDuration it also locks the voucher to that device. Business outcomes
// are in the answer; errors are EINVALID, EFORBIDDEN. Two round trips: the
// reads in one batch, then the log (with the lock) in one statement.
func (s *Service) Validate(ctx context.Context, sc models.Scope, code string, req ValidateRequest) (*ValidateResponse, error) {
	if req.LockDuration < 0 || req.LockDuration > models.MaxLockSeconds {
		return nil, models.FieldError("lockDuration", "must be from 0 to %d seconds", models.MaxLockSeconds)
	}
	if err := checkDeviceID(sc, req.DeviceID); err != nil {
		return nil, err
	}
	var resp *ValidateResponse
	var row *logRow
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		groups := groupsOf(sc)
		b := &pgx.Batch{}
		b.Queue(deviceSQL, req.DeviceID, groups)
		b.Queue(targetSQL, code, groups)
		br := c.SendBatch(ctx, b)
		d, dfound, err := scanDevice(br.QueryRow())
		var t *target
		var found bool
		if err == nil {
			t, found, err = scanTarget(br.QueryRow())
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		switch {
		case err != nil:
			return err
		case !dfound:
			return forbiddenDevice(req.DeviceID)
		case !found:
			resp = &ValidateResponse{Code: code, Reason: ReasonNotFound, ValidFor: ValidFor{Products: map[string]bool{}}}
			return nil
		}
		now := s.Now()
		dec := decide(ctx, t, d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand}, now)
		resp = validateResponse(t, &dec)
		who, reqJSON := requester(sc, req.DeviceID), string(mustJSON(req))
		if !dec.ok() || req.LockDuration <= 0 {
			row = &logRow{userGroup: t.V.UserGroup, voucher: t.V.ID, requester: who, location: d.locationLabel(),
				action: "validate", success: boolSmallint(resp.Valid), request: reqJSON,
				response: string(mustJSON(resp)), currency: t.C.Currency}
			return nil // logged below, after the connection went back to the pool
		}
		till := now.Add(time.Duration(req.LockDuration * float64(time.Second))).UTC()
		locked := *resp
		locked.LockedTill = &till
		refused := *resp
		refused.Valid, refused.Reason, refused.Discount.AmountOff = false, ReasonLocked, 0
		var ok bool
		err = c.QueryRow(ctx, lockLogSQL, t.V.UserGroup, t.V.ID, req.DeviceID, who, d.locationLabel(), reqJSON,
			t.C.Currency, string(mustJSON(&locked)), string(mustJSON(&refused)), till, now.UTC()).Scan(&ok)
		if ok {
			resp = &locked
		} else {
			resp = &refused
		}
		return err
	})
	if err == nil && row != nil {
		err = s.logs.write(ctx, s.insertLogs, *row)
	}
	if err != nil {
		return nil, pg.MapError(err)
	}
	return resp, nil
}

func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func boolSmallint(b bool) int16 {
	if b {
		return 1
	}
	return 0
}

// optimisticTries is how often a redeem decided on a snapshot is tried
// before it is decided under the row lock. One: a conflict means another
// writer is on the voucher right now, and re-reading optimistically while
// it stays busy only wastes round trips (measured: 32 goroutines on one
// voucher without the queue, 1.2 ms/redeem with one try, 4 ms with two or
// three).
const optimisticTries = 1

// Redeem spends a voucher for an order. It is idempotent on (voucher,
// deviceId, order.id): a retry gets the bytes of the first successful
// answer and changes nothing. The answer is JSON of a RedeemResponse.
// Errors are EINVALID, EFORBIDDEN, EUNAVAILABLE.
//
// The device, the voucher and an earlier answer are read in one batch;
// then the redeem is decided and written as one statement (one
// transaction) whose UPDATE matches only the row version that was decided
// on and repeats the limit and balance checks in its WHERE. When the
// voucher changed in between (another replica, a manager, a lock), the
// redeem is decided again under the row lock (redeemLocked).
//
// With SerializeHot, redeems of one code in this process queue on a keyed
// mutex between the read and the write, and each hands the row it wrote to
// the next: a hot voucher costs one round trip per redeem inside the
// queue, and PostgreSQL holds its row lock only while one statement runs.
func (s *Service) Redeem(ctx context.Context, sc models.Scope, code string, req RedeemRequest) ([]byte, error) {
	if err := checkDeviceID(sc, req.DeviceID); err != nil {
		return nil, err
	}
	out, err := s.redeem(ctx, sc, code, req)
	if err != nil {
		return nil, pg.MapError(err)
	}
	return out, nil
}

func (s *Service) redeem(ctx context.Context, sc models.Scope, code string, req RedeemRequest) ([]byte, error) {
	var rd *redeemRead
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		var err error
		rd, err = s.readRedeem(ctx, c, sc, code, req)
		return err
	})
	if err != nil || rd.out != nil {
		return rd.answer(), err
	}
	var slot *keyedEntry
	if s.SerializeHot {
		var unlock func()
		slot, unlock = s.locks.Lock(code)
		defer unlock()
		// the key is the code, which is unique per tenant only: hand over
		// the row of the same voucher alone
		if slot.last != nil && slot.last.ID == rd.t.V.ID {
			v := *slot.last // newer than the read, or a conflict tells
			rd.t.V, rd.t.version = v, slot.lastVersion
		}
	}
	var out []byte
	err = s.withConn(ctx, func(c *pgx.Conn) error {
		for try := range optimisticTries {
			if try > 0 {
				var err error
				if rd, err = s.readRedeem(ctx, c, sc, code, req); err != nil || rd.out != nil {
					out = rd.answer()
					return err
				}
			}
			written, done, err := s.writeRedeem(ctx, c, sc, req, rd)
			if slot != nil {
				slot.last = nil
				if written != nil {
					slot.last, slot.lastVersion = &written.V, written.version
				}
			}
			if err != nil && uniqueViolation(err) {
				continue // a concurrent retry of the same order was first: read its answer
			}
			if err != nil || done {
				out = rd.out
				return err
			}
			// the voucher changed after the read: read and decide again
		}
		var err error
		out, err = s.redeemLocked(ctx, c, sc, code, req)
		if err != nil && !c.IsClosed() && c.PgConn().TxStatus() != 'I' {
			if _, rerr := c.Exec(context.Background(), "ROLLBACK"); rerr != nil {
				_ = c.Close(context.Background()) // the pool drops it
			}
		}
		return err
	})
	return out, err
}

// redeemRead is what a redeem reads before it decides. out is set when the
// answer is already known (unknown code, an earlier answer, now logged).
type redeemRead struct {
	d   *device
	t   *target
	out []byte
}

func (r *redeemRead) answer() []byte {
	if r == nil {
		return nil
	}
	return r.out
}

// readRedeem reads the device, the voucher and an earlier answer in one
// round trip (two statements). An earlier answer is logged and becomes the answer.
func (s *Service) readRedeem(ctx context.Context, c *pgx.Conn, sc models.Scope, code string, req RedeemRequest) (*redeemRead, error) {
	groups := groupsOf(sc)
	orderID := ""
	if req.Order != nil {
		orderID = req.Order.ID
	}
	b := &pgx.Batch{}
	b.Queue(deviceSQL, req.DeviceID, groups)
	if orderID != "" {
		b.Queue(targetEarlierSQL, code, groups, req.DeviceID, orderID)
	} else {
		b.Queue(targetSQL, code, groups)
	}
	br := c.SendBatch(ctx, b)
	rd := &redeemRead{}
	d, dfound, err := scanDevice(br.QueryRow())
	var found, again bool
	var prev []byte
	if err == nil {
		if orderID != "" {
			rd.t, found, err = scanTarget(br.QueryRow(), &prev)
			again = found && prev != nil
		} else {
			rd.t, found, err = scanTarget(br.QueryRow())
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	rd.d = d
	switch {
	case err != nil:
		return nil, err
	case !dfound:
		return nil, forbiddenDevice(req.DeviceID)
	case !found:
		rd.out = mustJSON(RedeemResponse{Code: code, Reason: ReasonNotFound})
	case again:
		t := rd.t
		_, err = c.Exec(ctx, logSQL, t.V.UserGroup, t.V.ID, requester(sc, req.DeviceID), d.locationLabel(), "redeem",
			int16(1), string(mustJSON(req)), string(prev), t.C.Currency)
		rd.out = prev
	}
	return rd, err
}

// writeRedeem decides the redeem on what was read and writes it: a refusal
// as its log, a redemption with spendOnceSQL. done is false when the
// voucher changed since the read and nothing was written; written is the
// voucher row as the redemption left it.
func (s *Service) writeRedeem(ctx context.Context, c *pgx.Conn, sc models.Scope, req RedeemRequest, rd *redeemRead) (*target, bool, error) {
	t, d := rd.t, rd.d
	who, reqJSON := requester(sc, req.DeviceID), string(mustJSON(req))
	now := s.Now()
	dec := decide(ctx, t, d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand, Redeem: true}, now)
	resp := RedeemResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID, Redeemed: dec.ok(),
		Reason: dec.Reason, Message: dec.Message, Discount: discount(&dec), VoucherValue: dec.Settings.Value}
	if !dec.ok() {
		resp.Discount.AmountOff = 0
		rd.out = mustJSON(resp)
		_, err := c.Exec(ctx, logSQL, t.V.UserGroup, t.V.ID, who, d.locationLabel(), "redeem", int16(0), reqJSON,
			string(rd.out), t.C.Currency)
		return nil, true, err
	}
	rd.out = mustJSON(resp)
	balanceCap := int64(-1)
	if dec.Settings.Type == models.CampaignGift {
		balanceCap = dec.Settings.Value
	}
	var ps *time.Time
	if dec.Counters.PeriodStart != nil {
		u := dec.Counters.PeriodStart.UTC()
		ps = &u
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	w := &target{}
	err := c.QueryRow(ctx, spendOnceSQL, t.V.UserGroup, t.V.ID, dec.Amount, now.UTC(), d.locationLabel(),
		dec.Settings.RedemptionLimit, balanceCap, t.V.Campaign, req.DeviceID, req.Order.ID, d.MachineID,
		d.LocationID, ps, string(rd.out), who, reqJSON, t.C.Currency, dec.Counters.Reset, t.version).
		Scan(voucherDest(&w.V, &w.version)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err // a unique violation: a concurrent retry of the order; redeem reads again
	}
	return w, true, nil
}

// redeemLocked is the pessimistic redeem: BEGIN, the device, the voucher
// under its row lock and an earlier answer in one batch; the decision; the
// writes and COMMIT in another.
func (s *Service) redeemLocked(ctx context.Context, c *pgx.Conn, sc models.Scope, code string, req RedeemRequest) ([]byte, error) {
	groups := groupsOf(sc)
	orderID := ""
	if req.Order != nil {
		orderID = req.Order.ID
	}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(deviceSQL, req.DeviceID, groups)
	b.Queue(strings.Replace(targetSQL, "LIMIT 1", "LIMIT 1 FOR UPDATE OF v", 1), code, groups)
	if orderID != "" {
		b.Queue(earlierSQL, code, groups, req.DeviceID, orderID)
	}
	br := c.SendBatch(ctx, b)
	_, err := br.Exec()
	var d *device
	var t *target
	var dfound, found, again bool
	var prev []byte
	if err == nil {
		d, dfound, err = scanDevice(br.QueryRow())
	}
	if err == nil {
		t, found, err = scanTarget(br.QueryRow())
	}
	if err == nil && orderID != "" {
		err = br.QueryRow().Scan(&prev)
		if again = err == nil; errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, err
	case !dfound:
		return nil, forbiddenDevice(req.DeviceID)
	case !found:
		_, err := c.Exec(ctx, "COMMIT")
		return mustJSON(RedeemResponse{Code: code, Reason: ReasonNotFound}), err
	}
	who, reqJSON := requester(sc, req.DeviceID), string(mustJSON(req))
	w := &pgx.Batch{}
	if again {
		w.Queue(logSQL, t.V.UserGroup, t.V.ID, who, d.locationLabel(), "redeem", int16(1), reqJSON, string(prev),
			t.C.Currency)
		w.Queue("COMMIT")
		return prev, sendAll(ctx, c, w)
	}
	now := s.Now()
	dec := decide(ctx, t, d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand, Redeem: true}, now)
	resp := RedeemResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID, Redeemed: dec.ok(),
		Reason: dec.Reason, Message: dec.Message, Discount: discount(&dec), VoucherValue: dec.Settings.Value}
	if !dec.ok() {
		resp.Discount.AmountOff = 0
		out := mustJSON(resp)
		w.Queue(logSQL, t.V.UserGroup, t.V.ID, who, d.locationLabel(), "redeem", int16(0), reqJSON, string(out),
			t.C.Currency)
		w.Queue("COMMIT")
		return out, sendAll(ctx, c, w)
	}
	ok := mustJSON(resp)
	resp.Redeemed, resp.Discount.AmountOff, resp.Reason = false, 0, ReasonLimitReached
	balanceCap := int64(-1)
	if dec.Settings.Type == models.CampaignGift {
		resp.Reason, balanceCap = ReasonInsufficientBalance, dec.Settings.Value
	}
	refused := mustJSON(resp)
	cnt := dec.Counters
	var ps *time.Time
	if cnt.PeriodStart != nil {
		u := cnt.PeriodStart.UTC()
		ps = &u
	}
	if ps != nil && (t.V.PeriodStart == nil || !t.V.PeriodStart.Equal(*ps)) {
		w.Queue(resetSQL, *ps, cnt.Reset, now.UTC(), t.V.ID)
	}
	spent := false
	w.Queue(spendSQL, t.V.UserGroup, t.V.ID, dec.Amount, now.UTC(), d.locationLabel(), dec.Settings.RedemptionLimit,
		balanceCap, t.V.Campaign, req.DeviceID, orderID, d.MachineID, d.LocationID, ps, string(ok), who, reqJSON,
		string(refused), t.C.Currency).QueryRow(func(row pgx.Row) error { return row.Scan(&spent) })
	w.Queue("COMMIT")
	if err := sendAll(ctx, c, w); err != nil {
		return nil, err
	}
	if spent {
		return ok, nil
	}
	return refused, nil
}

// sendAll sends a batch and reads every result.
func sendAll(ctx context.Context, c *pgx.Conn, b *pgx.Batch) error {
	return c.SendBatch(ctx, b).Close()
}
