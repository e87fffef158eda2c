package vouchers

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// The pessimistic redeem, for a redeem the spend group could not write (its
// voucher changed after the read, a retried order, a verdict gone stale):
// in one transaction, the device, the voucher under its row lock and an
// earlier answer of the order are read in one round trip, the redeem is
// decided, and its writes go out in another.

const deviceSQL = `SELECT ` + deviceCols + `
	FROM machines m JOIN locations l ON l.id = m.location
	WHERE m.hostname = @device AND m.user_group = ANY (@groups) LIMIT 1`

// targetLockedSQL reads the voucher under its row lock, and its campaign.
var targetLockedSQL = `SELECT ` + prefixed("v.", voucherCols) + `, ` + campaignCols + `
	FROM vouchers v JOIN campaigns c ON c.id = v.campaign
	WHERE v.code = @code AND v.user_group = ANY (@groups) LIMIT 1 FOR UPDATE OF v`

// earlierAnswer is the answer an earlier redeem of an order gave, or
// rolledBack when that redemption was rolled back since.
const earlierAnswer = `CASE WHEN r.rolled_back_at IS NULL THEN r.response ELSE '` + rolledBack + `' END`

// rolledBack marks an earlier answer whose redemption was rolled back: a
// retry of that order must not be answered redeemed (it was paid back).
const rolledBack = "rolled_back"

var earlierSQL = `SELECT ` + earlierAnswer + ` FROM redemptions r JOIN vouchers v ON v.id = r.voucher
	WHERE v.code = @code AND v.user_group = ANY (@groups) AND r.device_id = @device AND r.order_id = @order`

const logSQL = `INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success,
		request, response, currency)
	VALUES (@user_group, @voucher, @requester, @place, @action, @success, @request, @response, @currency)`

// resetSQL starts a voucher's new period (and, with @reset, its counters
// over).
const resetSQL = `UPDATE vouchers SET period_start = @period_start,
		redemption_count = CASE WHEN @reset THEN 0 ELSE redemption_count END,
		amount_redeemed = CASE WHEN @reset THEN 0 ELSE amount_redeemed END,
		last_reset_at = CASE WHEN @reset THEN @now ELSE last_reset_at END
	WHERE id = @voucher`

// spendSQL is the write of one redeem in one statement: the conditional
// UPDATE whose WHERE states the invariant (count under the limit, amount
// within a gift's balance), the redemption row only when it matched, and
// the log with the answer that matches the outcome. It returns whether the
// UPDATE matched.
var spendSQL = pg.Named(`WITH u AS (
		UPDATE vouchers SET
			redemption_count = redemption_count + 1, total_redemption_count = total_redemption_count + 1,
			amount_redeemed = amount_redeemed + @amount::bigint,
			total_amount_redeemed = total_amount_redeemed + @amount::bigint,
			last_redemption_at = @now, last_redemption_location = @place, lock_owner = NULL, locked_till = NULL,
			updated_at = @now
		WHERE id = @voucher AND (@limit::bigint = 0 OR redemption_count < @limit::bigint)
			AND (@cap::bigint < 0 OR amount_redeemed + @amount::bigint <= @cap::bigint)
		RETURNING id),
	r AS (
		INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine, location, amount,
			period_start, response)
		SELECT @user_group, u.id, @campaign, @device, @order, @machine, @location, @amount, @period_start, @answer
		FROM u RETURNING id)
	INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
		response, currency)
	SELECT @user_group, @voucher, @requester, @place, 'redeem', (SELECT count(*) FROM u)::smallint, @request,
		CASE WHEN EXISTS (SELECT 1 FROM u) THEN @answer ELSE @refusal END, @currency
	RETURNING success = 1`)

// errStale ends a locked redeem whose verdict went stale (it rolls back).
var errStale = errors.New("vouchers: verdict stale")

// redeemOnce is the pessimistic redeem on a connection of the hot pool, in
// one transaction. With noEval and a verdict vd that no longer holds, it
// evaluates nothing under the lock, rolls back and reports stale.
func (s *Service) redeemOnce(ctx context.Context, sc models.Scope, code string, req RedeemRequest, vd *verdict, noEval bool) ([]byte, bool, error) {
	var out []byte
	err := s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			var err error
			out, err = s.redeemLocked(ctx, tx, sc, code, req, vd, noEval)
			return err
		})
	})
	if errors.Is(err, errStale) {
		return nil, true, nil
	}
	s.known.forget(sc, code) // the row changed here, past the known one
	return out, false, err
}

// lockedRead is what the pessimistic redeem reads, the voucher locked.
type lockedRead struct {
	d    *device // nil: not a machine the caller can see
	t    *target // nil: no such voucher
	prev []byte  // the answer of an earlier redeem of the order
}

// readLocked reads the device, the voucher under its row lock and an
// earlier answer of the order in one round trip.
func readLocked(ctx context.Context, tx pgx.Tx, sc models.Scope, code string, req RedeemRequest) (lockedRead, error) {
	args := pgx.NamedArgs{"device": req.DeviceID, "groups": groupsOf(sc), "code": code, "order": orderID(req)}
	var lk lockedRead
	b := &pgx.Batch{}
	b.Queue(deviceSQL, args).QueryRow(func(row pgx.Row) error {
		d, found, err := scanDevice(row)
		if found {
			lk.d = d
		}
		return err
	})
	b.Queue(targetLockedSQL, args).QueryRow(func(row pgx.Row) error {
		t, found, err := scanTarget(row)
		if found {
			lk.t = t
		}
		return err
	})
	if orderID(req) != "" {
		b.Queue(earlierSQL, args).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&lk.prev); !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return nil
		})
	}
	return lk, tx.SendBatch(ctx, b).Close()
}

func orderID(req RedeemRequest) string {
	if req.Order == nil {
		return ""
	}
	return req.Order.ID
}

// redeemLocked decides and writes a redeem inside tx, the voucher locked.
func (s *Service) redeemLocked(ctx context.Context, tx pgx.Tx, sc models.Scope, code string, req RedeemRequest, vd *verdict, noEval bool) ([]byte, error) {
	lk, err := readLocked(ctx, tx, sc, code, req)
	switch {
	case err != nil:
		return nil, err
	case lk.d == nil:
		return nil, forbiddenDevice(req.DeviceID)
	case lk.t == nil:
		return mustJSON(RedeemResponse{Code: code, Reason: ReasonNotFound}), nil
	}
	t, d := lk.t, lk.d
	log := logRow{userGroup: t.V.UserGroup, voucher: t.V.ID, requester: requester(sc, req.DeviceID),
		location: d.locationLabel(), action: "redeem", request: requestJSON(req.Body, req), currency: t.C.Currency}
	if lk.prev != nil {
		out, success := earlier(t, lk.prev)
		log.success, log.response = success, string(out)
		return out, writeLog(ctx, tx, log)
	}
	now := s.Now()
	dec := decide(ctx, t, d, request{DeviceID: req.DeviceID, Order: req.Order, Demand: req.Demand, Redeem: true,
		Verdict: vd, NoEval: noEval}, now)
	switch {
	case dec.Reason == reasonStale:
		return nil, errStale
	case !dec.ok():
		out := mustJSON(redeemResponse(t, &dec))
		log.response = string(out)
		return out, writeLog(ctx, tx, log)
	}
	return spendLocked(ctx, tx, t, d, req, &dec, log, now)
}

// redeemResponse is the answer to a redeem decided with dec.
func redeemResponse(t *target, dec *decision) RedeemResponse {
	r := RedeemResponse{Code: t.V.Code, CampaignType: t.C.Type, VoucherID: t.V.ID, Redeemed: dec.ok(),
		Reason: dec.Reason, Message: dec.Message, Discount: discount(dec), VoucherValue: dec.Settings.Value}
	if !dec.ok() {
		r.Discount.AmountOff = 0
	}
	return r
}

func writeLog(ctx context.Context, tx pgx.Tx, r logRow) error {
	_, err := tx.Exec(ctx, logSQL, r.args())
	return err
}

// args returns logSQL's arguments for r.
func (r logRow) args() pgx.NamedArgs {
	return pgx.NamedArgs{"user_group": r.userGroup, "voucher": r.voucher, "requester": r.requester,
		"place": r.location, "action": r.action, "success": r.success, "request": r.request,
		"response": r.response, "currency": r.currency}
}

// spendLocked writes an accepted redeem under the row lock: the period
// reset if one is due, then spendSQL, whose WHERE states the invariant once
// more. It returns the answer that matches what was written.
func spendLocked(ctx context.Context, tx pgx.Tx, t *target, d *device, req RedeemRequest, dec *decision, log logRow, now time.Time) ([]byte, error) {
	resp := redeemResponse(t, dec)
	ok := mustJSON(resp)
	resp.Redeemed, resp.Discount.AmountOff, resp.Reason = false, 0, ReasonLimitReached
	balanceCap := int64(-1)
	if dec.Settings.Type == models.CampaignGift {
		resp.Reason, balanceCap = ReasonInsufficientBalance, dec.Settings.Value
	}
	refused := mustJSON(resp)
	var ps *time.Time
	if p := dec.Counters.PeriodStart; p != nil {
		u := p.UTC()
		ps = &u
	}
	b := &pgx.Batch{}
	if ps != nil && (t.V.PeriodStart == nil || !t.V.PeriodStart.Equal(*ps)) {
		b.Queue(resetSQL, pgx.NamedArgs{"period_start": *ps, "reset": dec.Counters.Reset, "now": now.UTC(),
			"voucher": t.V.ID})
	}
	args, err := spendSQL.Args(map[string]any{"user_group": t.V.UserGroup, "voucher": t.V.ID,
		"amount": dec.Amount, "now": now.UTC(), "place": log.location, "limit": dec.Settings.RedemptionLimit,
		"cap": balanceCap, "campaign": t.V.Campaign, "device": req.DeviceID, "order": orderID(req),
		"machine": d.ID, "location": d.Location, "period_start": ps, "answer": string(ok),
		"requester": log.requester, "request": log.request, "refusal": string(refused), "currency": log.currency})
	if err != nil {
		return nil, err
	}
	spent := false
	b.Queue(spendSQL.SQL, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&spent) })
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if spent {
		return ok, nil
	}
	return refused, nil
}
