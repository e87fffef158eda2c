package vouchers

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
)

// The redeems of one process are written in groups (s.spends): the
// redeems that arrive while one group's statement runs are decided
// together and written by the next statement, in one transaction. The
// redeems of one voucher in a group are decided one after the other on the
// row as the previous one left it, and the group's UPDATE matches only the
// row version they were decided on (xmin), with the limit and the balance
// checked again in its WHERE, and only while the campaign row is the one
// read. A voucher whose row or campaign changed in the meantime (another
// replica, a manager, a lock) is not written, and its redeems are decided
// again under the row lock (redeemLocked). Validates' log rows ride along. A hot voucher so costs
// a share of one statement per redeem instead of a statement and a commit
// each, and concurrent redeems of different vouchers share a commit.

// spend is one redeem waiting in the group: what it read, and when its
// read began; or, with log set, a validate's log row, which the group's
// statement writes with the rest (one commit for all).
type spend struct {
	sc     models.Scope
	req    RedeemRequest
	rd     *redeemRead
	readAt time.Time
	vd     *verdict // what the voucher's expressions said of rd, if it has any
	log    *logRow
}

// spent is a spend's outcome: the answer, or relock when the voucher
// changed after the read and the redeem must be decided under the row lock.
type spent struct {
	out    []byte
	relock bool
}

// writtenRow is a voucher row as a group wrote it, and when that commit
// was done: a redeem whose read began before that time decides on this row
// instead of its (older) read.
type writtenRow struct {
	v       models.Voucher
	version uint32
	at      time.Time
}

// writtenTTL is how long a written row is kept for the groups after it;
// a read older than that is refused by the version check and redone.
const writtenTTL = 10 * time.Second

// spendGroupSQL writes one group: the vouchers' new counters (only where the
// voucher's and its campaign's rows are still the versions decided on and
// the invariant holds), the redemptions and the logs of the vouchers
// written, and the logs that do not depend on a write (refusals of vouchers
// with no redeem in the group, validates). It returns the rows written.
// (v.id = ANY ($1) lets the UPDATE find its rows by the primary key.)
var spendGroupSQL = `WITH d AS (
		SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
			$7::timestamptz[], $8::boolean[], $9::text[], $10::bigint[], $11::bigint[], $33::bigint[], $34::bigint[])
			AS d(id, version, cnt, total_cnt, amt, total_amt, period_start, reset, place, lim, cap, campaign,
				campaign_version)),
	u AS (
		UPDATE vouchers v SET redemption_count = d.cnt, total_redemption_count = d.total_cnt,
			amount_redeemed = d.amt, total_amount_redeemed = d.total_amt, period_start = d.period_start,
			last_reset_at = CASE WHEN d.reset THEN $12 ELSE v.last_reset_at END,
			last_redemption_at = $12, last_redemption_location = d.place, lock_owner = NULL, locked_till = NULL,
			updated_at = $12
		FROM d
		WHERE v.id = ANY ($1::uuid[]) AND v.id = d.id AND v.xmin::text::bigint = d.version
			AND (d.lim = 0 OR d.cnt <= d.lim) AND (d.cap < 0 OR d.amt <= d.cap)
			AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = d.campaign AND c.xmin::text::bigint = d.campaign_version)
		RETURNING ` + prefixed("v.", voucherCols) + `),
	r AS (
		INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine, location, amount,
			period_start, response)
		SELECT x.* FROM unnest($13::bigint[], $14::uuid[], $15::bigint[], $16::text[], $17::text[], $18::bigint[],
			$19::bigint[], $20::bigint[], $21::timestamptz[], $22::text[])
			AS x(user_group, voucher, campaign, device_id, order_id, machine, location, amount, period_start, response)
		WHERE x.voucher IN (SELECT id FROM u)),
	l AS (
		INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
			response, currency)
		SELECT x.user_group, x.voucher, x.requester, x.place, x.action, x.success, x.request, x.response, x.currency
		FROM unnest($23::bigint[], $24::uuid[], $25::text[], $26::text[], $27::smallint[], $28::text[], $29::text[],
			$30::text[], $31::boolean[], $32::text[])
			AS x(user_group, voucher, requester, place, success, request, response, currency, written, action)
		WHERE NOT x.written OR x.voucher IN (SELECT id FROM u))
	SELECT ` + voucherCols + ` FROM u`

// spendWrite collects the columns of spendGroupSQL's arrays.
type spendWrite struct {
	// vouchers
	id                             []string
	version, cnt, totalCnt         []int64
	amt, totalAmt, lim, balanceCap []int64
	periodStart                    []*time.Time
	reset                          []bool
	place                          []string
	campaign, campaignVersion      []int64
	// redemptions
	rGroup, rCampaign, rMachine     []int64
	rLocation, rAmount              []int64
	rVoucher, rDevice, rOrder, rOut []string
	rPeriod                         []*time.Time
	// logs
	lGroup                             []int64
	lVoucher, lWho, lPlace, lReq, lOut []string
	lCurrency, lAction                 []string
	lSuccess                           []int16
	lWritten                           []bool
}

// log adds a redeem's log row; written makes it depend on the voucher's UPDATE.
func (w *spendWrite) log(t *target, who, place string, success int16, req string, out []byte, written bool) {
	w.addLog(logRow{userGroup: t.V.UserGroup, voucher: t.V.ID, requester: who, location: place, action: "redeem",
		success: success, request: req, response: string(out), currency: t.C.Currency}, written)
}

func (w *spendWrite) addLog(r logRow, written bool) {
	w.lGroup, w.lVoucher, w.lWho, w.lPlace = append(w.lGroup, r.userGroup), append(w.lVoucher, r.voucher),
		append(w.lWho, r.requester), append(w.lPlace, r.location)
	w.lSuccess, w.lReq, w.lOut = append(w.lSuccess, r.success), append(w.lReq, r.request), append(w.lOut, r.response)
	w.lCurrency, w.lWritten, w.lAction = append(w.lCurrency, r.currency), append(w.lWritten, written),
		append(w.lAction, r.action)
}

// spendBatch decides and writes one group of redeems (the Run of s.spends).
func (s *Service) spendBatch(ctx context.Context, items []*spend) ([]spent, error) {
	now := s.Now()
	out := make([]spent, len(items))
	var vouchers []string
	byVoucher := map[string][]int{}
	var w spendWrite
	for i, it := range items {
		if it.log != nil {
			w.addLog(*it.log, false)
			continue
		}
		id := it.rd.t.V.ID
		if _, ok := byVoucher[id]; !ok {
			vouchers = append(vouchers, id)
		}
		byVoucher[id] = append(byVoucher[id], i)
	}
	s.pruneWritten()
	for _, id := range vouchers {
		s.decideVoucher(ctx, &w, items, byVoucher[id], out, now)
	}
	if len(w.id) == 0 && len(w.lGroup) == 0 {
		return out, nil
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	var rows []writtenRow
	err := s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		res, err := c.Query(ctx, spendGroupSQL, w.id, w.version, w.cnt, w.totalCnt, w.amt, w.totalAmt, w.periodStart,
			w.reset, w.place, w.lim, w.balanceCap, now.UTC(),
			w.rGroup, w.rVoucher, w.rCampaign, w.rDevice, w.rOrder, w.rMachine, w.rLocation, w.rAmount, w.rPeriod,
			w.rOut,
			w.lGroup, w.lVoucher, w.lWho, w.lPlace, w.lSuccess, w.lReq, w.lOut, w.lCurrency, w.lWritten, w.lAction,
			w.campaign, w.campaignVersion)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			var r writtenRow
			if err := res.Scan(voucherDest(&r.v, &r.version)...); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return res.Err()
	})
	if err != nil {
		if !uniqueViolation(err) {
			return nil, err
		}
		// a concurrent retry of an order was written first: nothing of the
		// group was; every redeem is redone under the row lock, where it
		// finds the earlier answer, and every validate log is written alone
		for i := range out {
			out[i] = spent{relock: true}
		}
		return out, nil
	}
	at := time.Now()
	written := map[string]bool{}
	for _, r := range rows {
		r.at = at
		written[r.v.ID] = true
		s.written[r.v.ID] = r
	}
	for _, id := range w.id {
		if written[id] {
			continue
		}
		delete(s.written, id)
		for _, i := range byVoucher[id] {
			out[i] = spent{relock: true}
		}
	}
	return out, nil
}

// decideVoucher decides the redeems idx of one voucher in order, each on
// the row as the ones before it left it, and adds their writes to w.
func (s *Service) decideVoucher(ctx context.Context, w *spendWrite, items []*spend, idx []int, out []spent, now time.Time) {
	base := s.newestRow(items, idx)
	cur := base.V
	first := len(w.lGroup)
	answers := map[string][]byte{} // (device, order) → answer, for retries inside the group
	accepted, reset := false, false
	var place string
	var lim, balanceCap int64
	for _, i := range idx {
		it := items[i]
		d := it.rd.d
		who, reqJSON := requester(it.sc, it.req.DeviceID), string(mustJSON(it.req))
		key := ""
		if it.req.Order != nil && it.req.Order.ID != "" {
			key = it.req.DeviceID + "\x00" + it.req.Order.ID
		}
		if prev, ok := answers[key]; ok && key != "" {
			out[i].out = prev
			w.log(base, who, d.locationLabel(), 1, reqJSON, prev, true)
			continue
		}
		t := &target{V: cur, C: base.C}
		dec := decide(ctx, t, d, request{DeviceID: it.req.DeviceID, Order: it.req.Order, Demand: it.req.Demand,
			Redeem: true, Verdict: it.vd, NoEval: true}, now)
		if dec.Reason == reasonStale {
			out[i] = spent{relock: true} // its expressions must be evaluated again, not here
			continue
		}
		resp := RedeemResponse{Code: cur.Code, CampaignType: base.C.Type, VoucherID: cur.ID, Redeemed: dec.ok(),
			Reason: dec.Reason, Message: dec.Message, Discount: discount(&dec), VoucherValue: dec.Settings.Value}
		if !dec.ok() {
			resp.Discount.AmountOff = 0
			out[i].out = mustJSON(resp)
			w.log(base, who, d.locationLabel(), 0, reqJSON, out[i].out, false)
			continue
		}
		out[i].out = mustJSON(resp)
		answers[key] = out[i].out
		accepted, place = true, d.locationLabel()
		lim, balanceCap = dec.Settings.RedemptionLimit, -1
		if dec.Settings.Type == models.CampaignGift {
			balanceCap = dec.Settings.Value
		}
		reset = reset || dec.Counters.Reset
		applySpend(&cur, &dec)
		w.rGroup, w.rVoucher, w.rCampaign = append(w.rGroup, cur.UserGroup), append(w.rVoucher, cur.ID),
			append(w.rCampaign, cur.Campaign)
		w.rDevice, w.rOrder, w.rMachine = append(w.rDevice, it.req.DeviceID), append(w.rOrder, it.req.Order.ID),
			append(w.rMachine, d.MachineID)
		w.rLocation, w.rAmount, w.rPeriod, w.rOut = append(w.rLocation, d.LocationID), append(w.rAmount, dec.Amount),
			append(w.rPeriod, cur.PeriodStart), append(w.rOut, string(out[i].out))
		w.log(base, who, place, 1, reqJSON, out[i].out, true)
	}
	if !accepted {
		return
	}
	// the voucher is written: every log of its redeems depends on that
	for i := first; i < len(w.lWritten); i++ {
		w.lWritten[i] = true
	}
	w.id, w.version = append(w.id, cur.ID), append(w.version, int64(base.version))
	w.cnt, w.totalCnt = append(w.cnt, cur.RedemptionCount), append(w.totalCnt, cur.TotalRedemptionCount)
	w.amt, w.totalAmt = append(w.amt, cur.AmountRedeemed), append(w.totalAmt, cur.TotalAmountRedeemed)
	w.periodStart, w.reset, w.place = append(w.periodStart, cur.PeriodStart), append(w.reset, reset),
		append(w.place, place)
	w.lim, w.balanceCap = append(w.lim, lim), append(w.balanceCap, balanceCap)
	w.campaign, w.campaignVersion = append(w.campaign, base.C.ID), append(w.campaignVersion, int64(base.campaignVersion))
}

// applySpend changes v as a redeem decided with dec does.
func applySpend(v *models.Voucher, dec *decision) {
	if dec.Counters.Reset {
		v.RedemptionCount, v.AmountRedeemed = 0, 0
	}
	v.RedemptionCount++
	v.TotalRedemptionCount++
	v.AmountRedeemed += dec.Amount
	v.TotalAmountRedeemed += dec.Amount
	if ps := dec.Counters.PeriodStart; ps != nil {
		u := ps.UTC()
		v.PeriodStart = &u
	}
	v.LockOwner, v.LockedTill = nil, nil
}

// newestRow returns the row the redeems idx of one voucher are decided on:
// the read that began last, unless this process wrote the voucher after
// that read began.
func (s *Service) newestRow(items []*spend, idx []int) *target {
	last := items[idx[0]]
	for _, i := range idx[1:] {
		if items[i].readAt.After(last.readAt) {
			last = items[i]
		}
	}
	t := *last.rd.t
	if r, ok := s.written[t.V.ID]; ok && r.at.After(last.readAt) {
		t.V, t.version = r.v, r.version
	}
	return &t
}

// pruneWritten forgets, at most once per writtenTTL, the rows written
// longer than writtenTTL ago.
func (s *Service) pruneWritten() {
	now := time.Now()
	if s.written == nil {
		s.written, s.prunedAt = map[string]writtenRow{}, now
	}
	if now.Sub(s.prunedAt) < writtenTTL {
		return
	}
	s.prunedAt = now
	cut := now.Add(-writtenTTL)
	for id, r := range s.written {
		if r.at.Before(cut) {
			delete(s.written, id)
		}
	}
}
