package vouchers

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
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
	sc  models.Scope
	req RedeemRequest
	rd  *redeemRead
	// startedAt is when the redeem began; readAt when its row was read,
	// which is earlier for a row a validate read (validated.go)
	startedAt time.Time
	readAt    time.Time
	vd        *verdict // what the voucher's expressions said of rd, if it has any
	log       *logRow
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
// voucher's and its campaign's rows are still the versions decided on, the
// invariant holds and none of the group's orders of that voucher was
// redeemed before: a retried order sends only its own voucher to the row
// lock, never the whole group), the redemptions and the logs of the
// vouchers written, and the logs that do not depend on a write (refusals of
// vouchers with no redeem in the group, validates). It returns the rows
// written.
// (v.id = ANY (@v_id) lets the UPDATE find its rows by the primary key.)
var spendGroupSQL = pg.Named(`WITH d AS (
		SELECT * FROM unnest(@v_id::uuid[], @v_version::bigint[], @v_count::bigint[], @v_total_count::bigint[],
			@v_amount::bigint[], @v_total_amount::bigint[], @v_period_start::timestamptz[], @v_reset::boolean[],
			@v_place::text[], @v_limit::bigint[], @v_cap::bigint[], @v_campaign::bigint[],
			@v_campaign_version::bigint[])
			AS d(id, version, cnt, total_cnt, amt, total_amt, period_start, reset, place, lim, cap, campaign,
				campaign_version)),
	dup AS (
		SELECT DISTINCT o.voucher
		FROM unnest(@r_voucher::uuid[], @r_device::text[], @r_order::text[]) AS o(voucher, device, ord)
		CROSS JOIN LATERAL (SELECT 1 FROM redemptions r
			WHERE r.voucher = o.voucher AND r.device_id = o.device AND r.order_id = o.ord LIMIT 1) x),
	u AS (
		UPDATE vouchers v SET redemption_count = d.cnt, total_redemption_count = d.total_cnt,
			amount_redeemed = d.amt, total_amount_redeemed = d.total_amt, period_start = d.period_start,
			last_reset_at = CASE WHEN d.reset THEN @now ELSE v.last_reset_at END,
			last_redemption_at = @now, last_redemption_location = d.place, lock_owner = NULL, locked_till = NULL,
			updated_at = @now
		FROM d
		WHERE v.id = ANY (@v_id::uuid[]) AND v.id = d.id AND v.xmin::text::bigint = d.version
			AND (d.lim = 0 OR d.cnt <= d.lim) AND (d.cap < 0 OR d.amt <= d.cap)
			AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = d.campaign AND c.xmin::text::bigint = d.campaign_version)
			AND d.id NOT IN (SELECT voucher FROM dup)
		RETURNING ` + prefixed("v.", voucherCols) + `),
	r AS (
		INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine, location, amount,
			period_start, response)
		SELECT x.* FROM unnest(@r_group::bigint[], @r_voucher::uuid[], @r_campaign::bigint[], @r_device::text[],
			@r_order::text[], @r_machine::bigint[], @r_location::bigint[], @r_amount::bigint[],
			@r_period_start::timestamptz[], @r_response::text[])
			AS x(user_group, voucher, campaign, device_id, order_id, machine, location, amount, period_start, response)
		WHERE x.voucher IN (SELECT id FROM u)),
	l AS (
		INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request,
			response, currency)
		SELECT x.user_group, x.voucher, x.requester, x.place, x.action, x.success, x.request, x.response, x.currency
		FROM unnest(@l_group::bigint[], @l_voucher::uuid[], @l_requester::text[], @l_place::text[],
			@l_success::smallint[], @l_request::text[], @l_response::text[], @l_currency::text[], @l_written::boolean[],
			@l_action::text[])
			AS x(user_group, voucher, requester, place, success, request, response, currency, written, action)
		WHERE NOT x.written OR x.voucher IN (SELECT id FROM u))
	SELECT ` + voucherCols + ` FROM u`)

// voucherWrite is a voucher's counters as a group decided them, with what
// its UPDATE must find to apply them.
type voucherWrite struct {
	id                        string
	version                   int64 // the row version decided on
	count, totalCount         int64
	amount, totalAmount       int64
	periodStart               *time.Time
	reset                     bool   // the period was reset
	place                     string // where it was last redeemed
	limit                     int64  // the redemption limit, 0 for none
	balanceCap                int64  // a gift's value, -1 for other types
	campaign, campaignVersion int64
}

// redemptionRow is one redemptions row.
type redemptionRow struct {
	userGroup         int64
	voucher           string
	campaign          int64
	deviceID, orderID string
	machine, location int64
	amount            int64
	periodStart       *time.Time
	response          string
}

// groupLogRow is a log row of a group; written ones are kept only if their
// voucher's UPDATE matched.
type groupLogRow struct {
	logRow
	written bool
}

// spendWrite is what one group writes.
type spendWrite struct {
	vouchers    []voucherWrite
	redemptions []redemptionRow
	logs        []groupLogRow
}

// log adds a redeem's log row; written makes it depend on the voucher's UPDATE.
func (w *spendWrite) log(t *target, who, place string, success int16, req string, out []byte, written bool) {
	w.logs = append(w.logs, groupLogRow{logRow{userGroup: t.V.UserGroup, voucher: t.V.ID, requester: who,
		location: place, action: "redeem", success: success, request: req, response: string(out),
		currency: t.C.Currency}, written})
}

// args returns the arguments of spendGroupSQL: each column of the rows as
// an array, by name.
func (w *spendWrite) args(now time.Time) map[string]any {
	a := map[string]any{"now": now.UTC()}
	a["v_id"], a["v_version"] = column(w.vouchers, func(v voucherWrite) string { return v.id }),
		column(w.vouchers, func(v voucherWrite) int64 { return v.version })
	a["v_count"], a["v_total_count"] = column(w.vouchers, func(v voucherWrite) int64 { return v.count }),
		column(w.vouchers, func(v voucherWrite) int64 { return v.totalCount })
	a["v_amount"], a["v_total_amount"] = column(w.vouchers, func(v voucherWrite) int64 { return v.amount }),
		column(w.vouchers, func(v voucherWrite) int64 { return v.totalAmount })
	a["v_period_start"] = column(w.vouchers, func(v voucherWrite) *time.Time { return v.periodStart })
	a["v_reset"] = column(w.vouchers, func(v voucherWrite) bool { return v.reset })
	a["v_place"] = column(w.vouchers, func(v voucherWrite) string { return v.place })
	a["v_limit"], a["v_cap"] = column(w.vouchers, func(v voucherWrite) int64 { return v.limit }),
		column(w.vouchers, func(v voucherWrite) int64 { return v.balanceCap })
	a["v_campaign"] = column(w.vouchers, func(v voucherWrite) int64 { return v.campaign })
	a["v_campaign_version"] = column(w.vouchers, func(v voucherWrite) int64 { return v.campaignVersion })

	r := w.redemptions
	a["r_group"] = column(r, func(x redemptionRow) int64 { return x.userGroup })
	a["r_voucher"] = column(r, func(x redemptionRow) string { return x.voucher })
	a["r_campaign"] = column(r, func(x redemptionRow) int64 { return x.campaign })
	a["r_device"] = column(r, func(x redemptionRow) string { return x.deviceID })
	a["r_order"] = column(r, func(x redemptionRow) string { return x.orderID })
	a["r_machine"] = column(r, func(x redemptionRow) int64 { return x.machine })
	a["r_location"] = column(r, func(x redemptionRow) int64 { return x.location })
	a["r_amount"] = column(r, func(x redemptionRow) int64 { return x.amount })
	a["r_period_start"] = column(r, func(x redemptionRow) *time.Time { return x.periodStart })
	a["r_response"] = column(r, func(x redemptionRow) string { return x.response })

	for k, v := range w.logArgs() {
		a[k] = v
	}
	a["l_written"] = column(w.logs, func(x groupLogRow) bool { return x.written })
	return a
}

// logArgs returns the columns of the log rows, by name.
func (w *spendWrite) logArgs() map[string]any {
	l := w.logs
	return map[string]any{
		"l_group":     column(l, func(x groupLogRow) int64 { return x.userGroup }),
		"l_voucher":   column(l, func(x groupLogRow) string { return x.voucher }),
		"l_requester": column(l, func(x groupLogRow) string { return x.requester }),
		"l_place":     column(l, func(x groupLogRow) string { return x.location }),
		"l_action":    column(l, func(x groupLogRow) string { return x.action }),
		"l_success":   column(l, func(x groupLogRow) int16 { return x.success }),
		"l_request":   column(l, func(x groupLogRow) string { return x.request }),
		"l_response":  column(l, func(x groupLogRow) string { return x.response }),
		"l_currency":  column(l, func(x groupLogRow) string { return x.currency }),
	}
}

// column returns one field of every row, as the array of a column.
func column[R, F any](rows []R, field func(R) F) []F {
	out := make([]F, len(rows))
	for i, r := range rows {
		out[i] = field(r)
	}
	return out
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
			w.logs = append(w.logs, groupLogRow{logRow: *it.log})
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
	if len(w.vouchers) == 0 && len(w.logs) == 0 {
		return out, nil
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	rows, err := s.writeGroup(ctx, &w, now)
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
		s.knowWritten(items, byVoucher[r.v.ID], r)
	}
	for _, v := range w.vouchers {
		if written[v.id] {
			continue
		}
		delete(s.written, v.id)
		for _, i := range byVoucher[v.id] {
			out[i] = spent{relock: true}
		}
	}
	return out, nil
}

// logsOnlySQL writes a group that spends nothing: its log rows alone.
var logsOnlySQL = pg.Named(`INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action,
		success, request, response, currency)
	SELECT * FROM unnest(@l_group::bigint[], @l_voucher::uuid[], @l_requester::text[], @l_place::text[],
		@l_action::text[], @l_success::smallint[], @l_request::text[], @l_response::text[], @l_currency::text[])`)

// writeGroup runs spendGroupSQL for w and returns the voucher rows it
// wrote. A group that spends nothing (validates' and refusals' logs only)
// commits without waiting for its WAL to reach the disk: those rows record
// answers, not money, and a lone validate so costs no disk flush
// (docs/vouchers.md, "Durability of logs").
func (s *Service) writeGroup(ctx context.Context, w *spendWrite, now time.Time) ([]writtenRow, error) {
	if len(w.vouchers) == 0 {
		return nil, s.writeLogsLazily(ctx, w)
	}
	args, err := spendGroupSQL.Args(w.args(now))
	if err != nil {
		return nil, err
	}
	var rows []writtenRow
	err = s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		res, err := c.Query(ctx, spendGroupSQL.SQL, args...)
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
	return rows, err
}

// writeLogsLazily writes the log rows of a group that spends nothing, in a
// transaction that does not wait for its WAL flush, sent in one round trip.
func (s *Service) writeLogsLazily(ctx context.Context, w *spendWrite) error {
	args, err := logsOnlySQL.Args(w.logArgs())
	if err != nil {
		return err
	}
	return s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue("SET LOCAL synchronous_commit TO off")
		b.Queue(logsOnlySQL.SQL, args...)
		b.Queue("COMMIT")
		return c.SendBatch(ctx, b).Close()
	})
}

// decideVoucher decides the redeems idx of one voucher in order, each on
// the row as the ones before it left it, and adds their writes to w.
func (s *Service) decideVoucher(ctx context.Context, w *spendWrite, items []*spend, idx []int, out []spent, now time.Time) {
	base, baseAt := s.newestRow(items, idx)
	cur := base.V
	first := len(w.logs)
	answers := map[string][]byte{} // (device, order) → answer, for retries inside the group
	vw := voucherWrite{version: int64(base.version), campaign: base.C.ID, campaignVersion: int64(base.campaignVersion)}
	accepted := false
	for _, i := range idx {
		it := items[i]
		d := it.rd.d
		who, reqJSON := requester(it.sc, it.req.DeviceID), requestJSON(it.req.Body, it.req)
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
		if !dec.ok() && baseAt.Before(it.startedAt) {
			out[i] = spent{relock: true} // never a refusal on a row read before the request began
			continue
		}
		resp := redeemResponse(t, &dec)
		if !dec.ok() {
			out[i].out = mustJSON(resp)
			w.log(base, who, d.locationLabel(), 0, reqJSON, out[i].out, false)
			continue
		}
		out[i].out = mustJSON(resp)
		answers[key] = out[i].out
		accepted, vw.place = true, d.locationLabel()
		vw.limit, vw.balanceCap = dec.Settings.RedemptionLimit, -1
		if dec.Settings.Type == models.CampaignGift {
			vw.balanceCap = dec.Settings.Value
		}
		vw.reset = vw.reset || dec.Counters.Reset
		applySpend(&cur, &dec)
		w.redemptions = append(w.redemptions, redemptionRow{userGroup: cur.UserGroup, voucher: cur.ID,
			campaign: cur.Campaign, deviceID: it.req.DeviceID, orderID: it.req.Order.ID, machine: d.ID,
			location: d.Location, amount: dec.Amount, periodStart: cur.PeriodStart, response: string(out[i].out)})
		w.log(base, who, vw.place, 1, reqJSON, out[i].out, true)
	}
	if !accepted {
		return
	}
	// the voucher is written: every log of its redeems depends on that
	for i := first; i < len(w.logs); i++ {
		w.logs[i].written = true
	}
	vw.id, vw.periodStart = cur.ID, cur.PeriodStart
	vw.count, vw.totalCount = cur.RedemptionCount, cur.TotalRedemptionCount
	vw.amount, vw.totalAmount = cur.AmountRedeemed, cur.TotalAmountRedeemed
	w.vouchers = append(w.vouchers, vw)
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

// knowWritten keeps the row a group wrote as the known row of its code for
// the callers of the redeems idx (known.go).
func (s *Service) knowWritten(items []*spend, idx []int, r writtenRow) {
	for _, i := range idx {
		t := *items[i].rd.t // the campaign as read, which the write checked
		t.V, t.version = r.v, r.version
		s.known.put(items[i].sc, r.v.Code, knownRow{t: &t, readAt: r.at}, s.KnownRowTTL)
	}
}

// newestRow returns the row the redeems idx of one voucher are decided on,
// and when it was read or written: the read that began last, unless this
// process wrote the voucher after that read began.
func (s *Service) newestRow(items []*spend, idx []int) (*target, time.Time) {
	last := items[idx[0]]
	for _, i := range idx[1:] {
		if items[i].readAt.After(last.readAt) {
			last = items[i]
		}
	}
	t := *last.rd.t
	if r, ok := s.written[t.V.ID]; ok && r.at.After(last.readAt) {
		t.V, t.version = r.v, r.version
		return &t, r.at
	}
	return &t, last.readAt
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
