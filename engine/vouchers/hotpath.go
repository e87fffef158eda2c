package vouchers

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vendrule/vendrule/engine/fleet"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// The device hot path (validate and redeem) talks to PostgreSQL through
// pgx connections of the hot pool (pg.DB.WithConn), and the work of
// concurrent requests goes out in groups (engine/batch), scanned into plain
// fields without gorm's reflection:
//
//	validate: read group [machines?, vouchers+campaigns] → decide →
//	          log row in the next spend statement | lock+log statement
//	redeem:   read group [machines?, vouchers+campaigns+earlier answers] →
//	          spend group: decide in order per voucher, one guarded statement
//	          (spend.go); a voucher changed in between: [BEGIN, device,
//	          voucher+campaign FOR UPDATE, earlier answer] → decide →
//	          [period reset?, guarded UPDATE+redemption+log, COMMIT]
//
// Each statement of a batch runs with its own snapshot (READ COMMITTED), so
// the earlier-answer lookup that follows the row lock sees a redemption
// committed by the transaction that held the lock before.

// deviceCols are the columns of a device (scanDevice) over machines m and
// locations l: the machine context as the alert engine reads it too.
const deviceCols = fleet.MachineContextCols

// voucherCols are the voucher columns the decision needs, xmin (the row
// version) last; the target read and the redeem's UPDATE … RETURNING both
// give them, in this order (scanVoucher).
const voucherCols = `id, user_group, code, campaign, type, value, value_type, redemption_limit, reset_frequency,
	expires_on, valid_from, time_zone, validation_rules, redemption_rules, redemption_count, total_redemption_count,
	amount_redeemed, total_amount_redeemed, period_start, lock_owner, locked_till, status, xmin`

// campaignCols are the campaign columns the decision needs, over
// campaigns c (scanTarget).
const campaignCols = `c.id, c.name, c.type, c.value_type, c.voucher_value, c.value_expr, c.redemption_limit,
		c.reset_frequency, c.expires_on, c.valid_from, c.currency, c.time_zone, c.status, c.validation_rules, c.redemption_rules,
		c.xmin`

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// lockLogSQL locks the voucher to a device unless another device holds a
// lock that has not run out, and logs the validate with the answer that
// matches the outcome (@locked when locked, @refused when not).
var lockLogSQL = pg.Named(`WITH u AS (
		UPDATE vouchers SET lock_owner = @device, locked_till = @till
		WHERE id = @voucher AND (lock_owner IS NULL OR lock_owner = @device OR locked_till <= @now) RETURNING id)
	INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
		response, currency)
	SELECT @user_group, @voucher, @requester, @place, 'validate', (SELECT count(*) FROM u)::smallint, @request,
		CASE WHEN EXISTS (SELECT 1 FROM u) THEN @locked ELSE @refused END, @currency
	RETURNING success = 1`)

// scanDevice reads a deviceSQL row; found is false when no machine matched.
func scanDevice(row pgx.Row) (*device, bool, error) {
	var d device
	err := row.Scan(d.Dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &d, true, nil
}

// voucherDest returns the scan destinations of voucherCols.
func voucherDest(v *models.Voucher, version *uint32) []any {
	return []any{&v.ID, &v.UserGroup, &v.Code, &v.Campaign, &v.Type, &v.Value, &v.ValueType, &v.RedemptionLimit,
		&v.ResetFrequency, &v.ExpiresOn, &v.ValidFrom, &v.TimeZone, &v.ValidationRules, &v.RedemptionRules, &v.RedemptionCount,
		&v.TotalRedemptionCount, &v.AmountRedeemed, &v.TotalAmountRedeemed, &v.PeriodStart, &v.LockOwner,
		&v.LockedTill, &v.Status, version}
}

// scanTarget reads a row of voucherCols and campaignCols (with extra, the
// destinations of more columns after it); found is false for an unknown
// code.
func scanTarget(row pgx.Row, extra ...any) (*target, bool, error) {
	t := &target{}
	c := &t.C
	err := row.Scan(append(append(voucherDest(&t.V, &t.version),
		&c.ID, &c.Name, &c.Type, &c.ValueType, &c.VoucherValue, &c.ValueExpr, &c.RedemptionLimit, &c.ResetFrequency,
		&c.ExpiresOn, &c.ValidFrom, &c.Currency, &c.TimeZone, &c.Status, &c.ValidationRules, &c.RedemptionRules,
		&t.campaignVersion), extra...)...)
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
	if err := checkRequest(code, req.DeviceID, req.Order, req.Demand); err != nil {
		return nil, err
	}
	code = CanonicalCode(code)
	if err := checkDeviceID(sc, req.DeviceID); err != nil {
		return nil, err
	}
	now := s.Now()
	t, d, dec, found, err := s.validateOn(ctx, sc, code, req, now)
	switch {
	case err != nil:
		return nil, pg.MapError(err)
	case !found:
		return &ValidateResponse{Code: code, Reason: ReasonNotFound, ValidFor: ValidFor{Products: map[string]bool{}}}, nil
	}
	resp := validateResponse(t, &dec)
	who, reqJSON := requester(sc, req.DeviceID), requestJSON(req.Body, req)
	if !dec.ok() || req.LockDuration <= 0 {
		resp.body = mustJSON(resp)
		err := s.groupLog(ctx, logRow{userGroup: t.V.UserGroup, voucher: t.V.ID, requester: who,
			location: d.locationLabel(), action: "validate", success: boolSmallint(resp.Valid), request: reqJSON,
			response: string(resp.body), currency: t.C.Currency})
		if err != nil {
			return nil, pg.MapError(err)
		}
		return resp, nil
	}
	till := now.Add(time.Duration(req.LockDuration * float64(time.Second))).UTC()
	locked := *resp
	locked.LockedTill = &till
	refused := *resp
	refused.Valid, refused.Reason, refused.Discount.AmountOff = false, ReasonLocked, 0
	locked.body, refused.body = mustJSON(&locked), mustJSON(&refused)
	var ok bool
	err = s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		args, err := lockLogSQL.Args(map[string]any{"user_group": t.V.UserGroup, "voucher": t.V.ID,
			"device": req.DeviceID, "requester": who, "place": d.locationLabel(), "request": reqJSON,
			"currency": t.C.Currency, "locked": string(locked.JSON()), "refused": string(refused.JSON()),
			"till": till, "now": now.UTC()})
		if err != nil {
			return err
		}
		return c.QueryRow(ctx, lockLogSQL.SQL, args...).Scan(&ok)
	})
	if err != nil {
		return nil, pg.MapError(err)
	}
	s.known.forget(sc, code) // the lock changed the row
	if ok {
		return &locked, nil
	}
	return &refused, nil
}

// itemFault reports whether PostgreSQL refused a group's statement for a
// value in it (data exceptions, constraint violations, values too large
// for an index), which may be one request's doing: the group then runs
// again one request at a time (batch.Group.Isolate). Input is checked
// before it joins a group (checkRequest); this is the defence behind it.
func itemFault(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23", "54":
		return true
	}
	return false
}

// validateOn decides a validate on the voucher as this process knew it
// less than ValidateTTL ago (a known row, known.go) when that says valid
// and no lock is asked for, else on a read of its own; found is false for
// an unknown code.
func (s *Service) validateOn(ctx context.Context, sc models.Scope, code string, req ValidateRequest, now time.Time) (*target, *device, decision, bool, error) {
	r := request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand}
	if req.LockDuration <= 0 {
		if d, k, ok := s.knownFor(sc, req.DeviceID, code, s.ValidateTTL); ok {
			if dec := decide(ctx, k.t, d, r, now); dec.ok() {
				return k.t, d, dec, true, nil
			}
		}
	}
	rr, err := s.read(ctx, sc, req.DeviceID, code, "")
	switch {
	case err != nil:
		return nil, nil, decision{}, false, err
	case rr.d == nil:
		return nil, nil, decision{}, false, forbiddenDevice(req.DeviceID)
	case rr.t == nil:
		return nil, nil, decision{}, false, nil
	}
	return rr.t, rr.d, decide(ctx, rr.t, rr.d, r, now), true, nil
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

// Redeem spends a voucher for an order. It is idempotent on (voucher,
// deviceId, order.id): a retry gets the bytes of the first successful
// answer and changes nothing. The answer is JSON of a RedeemResponse.
// Errors are EINVALID, EFORBIDDEN, EUNAVAILABLE.
//
// The device, the voucher and an earlier answer are read in one batch;
// then the redeem joins the group of this process's redeems that the next
// statement writes (spend.go). When the voucher changed after the read
// (another replica, a manager, a lock), the redeem is decided again under
// the row lock (redeemLocked).
func (s *Service) Redeem(ctx context.Context, sc models.Scope, code string, req RedeemRequest) ([]byte, error) {
	if err := checkRequest(code, req.DeviceID, req.Order, req.Demand); err != nil {
		return nil, err
	}
	code = CanonicalCode(code)
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
	startedAt := time.Now()
	rd, dec, err := s.readAndJudge(ctx, sc, code, req)
	if err != nil || rd.out != nil {
		return rd.answer(), err
	}
	vd := dec.verdict
	res, err := s.spends.Do(ctx, &spend{sc: sc, req: req, rd: rd, startedAt: startedAt, readAt: rd.readAt, vd: vd})
	if err != nil || !res.relock {
		return res.out, err
	}
	// under the row lock, expressions are evaluated only after a few
	// verdicts went stale (the voucher keeps changing under them)
	for attempt := 1; ; attempt++ {
		out, stale, err := s.redeemOnce(ctx, sc, code, req, vd, attempt <= maxStale)
		if err != nil || !stale {
			return out, err
		}
		if rd, err = s.readRedeem(ctx, sc, code, req); err != nil || rd.out != nil {
			return rd.answer(), err
		}
		vd = s.judgeRead(ctx, rd, req).verdict
	}
}

// readAndJudge finds the row a redeem decides on, a row this process read
// moments ago when it knows one and the device (known.go), else a read of
// its own, and decides on it outside every group and lock.
func (s *Service) readAndJudge(ctx context.Context, sc models.Scope, code string, req RedeemRequest) (*redeemRead, decision, error) {
	if d, k, ok := s.knownFor(sc, req.DeviceID, code, s.KnownRowTTL); ok {
		rd := &redeemRead{d: d, t: k.t, readAt: k.readAt}
		if dec := s.judgeRead(ctx, rd, req); dec.ok() {
			return rd, dec, nil
		}
	}
	rd, err := s.readRedeem(ctx, sc, code, req)
	if err != nil || rd.out != nil {
		return rd, decision{}, err
	}
	return rd, s.judgeRead(ctx, rd, req), nil
}

// maxStale is how many times a redeem evaluates its voucher's expressions
// outside the row lock before it evaluates them under it.
const maxStale = 3

// judgeRead decides a redeem on the row it read, evaluating the voucher's
// expressions (if it has any) outside every group and lock.
func (s *Service) judgeRead(ctx context.Context, rd *redeemRead, req RedeemRequest) decision {
	return decide(ctx, rd.t, rd.d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand,
		Redeem: true}, s.Now())
}

// redeemRead is what a redeem reads before it decides. out is set when the
// answer is already known (unknown code, an earlier answer, now logged).
type redeemRead struct {
	d      *device
	t      *target
	out    []byte
	readAt time.Time // when the read began
}

func (r *redeemRead) answer() []byte {
	if r == nil {
		return nil
	}
	return r.out
}

// readRedeem reads the device, the voucher and an earlier answer through
// the read group. An earlier answer is logged and becomes the answer.
func (s *Service) readRedeem(ctx context.Context, sc models.Scope, code string, req RedeemRequest) (*redeemRead, error) {
	readAt := time.Now()
	orderID := ""
	if req.Order != nil {
		orderID = req.Order.ID
	}
	rr, err := s.read(ctx, sc, req.DeviceID, code, orderID)
	switch {
	case err != nil:
		return nil, err
	case rr.d == nil:
		return nil, forbiddenDevice(req.DeviceID)
	case rr.t == nil:
		return &redeemRead{d: rr.d, out: mustJSON(RedeemResponse{Code: code, Reason: ReasonNotFound})}, nil
	case rr.prev != nil:
		t := rr.t
		out, success := earlier(t, rr.prev)
		err := s.groupLog(ctx, logRow{userGroup: t.V.UserGroup, voucher: t.V.ID, requester: requester(sc, req.DeviceID),
			location: rr.d.locationLabel(), action: "redeem", success: success, request: requestJSON(req.Body, req),
			response: string(out), currency: t.C.Currency})
		return &redeemRead{d: rr.d, t: t, out: out}, err
	}
	return &redeemRead{d: rr.d, t: rr.t, readAt: readAt}, nil
}

// earlier returns the answer to a retry of an order redeemed before, and
// whether it is a success: the first answer, or, when that redemption was
// rolled back, a refusal (the order was paid back; a new vend is a new
// order).
func earlier(t *target, prev []byte) ([]byte, int16) {
	if string(prev) != rolledBack {
		return prev, 1
	}
	return mustJSON(RedeemResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID,
		Reason: ReasonRolledBack, Discount: Discount{Type: models.ValueCents},
		Message: "the redemption of this order was rolled back; redeem the next vend with a new order id"}), 0
}
