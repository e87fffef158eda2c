package vouchers

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// logRow is one voucher_logs row.
type logRow struct {
	userGroup                   int64
	voucher                     string
	requester, location, action string
	success                     int16
	request, response, currency string
}

// The logs of concurrent validates are written together (s.logs): each
// validate's answer still waits until its own log row is committed, but
// the rows that arrive while one INSERT is under way go out as the next
// multi-row INSERT (one statement, one commit) instead of one each.

// writeLogs is the Run of s.logs.
func (s *Service) writeLogs(ctx context.Context, rows []logRow) ([]struct{}, error) {
	return make([]struct{}, len(rows)), s.insertLogs(ctx, rows)
}

// The validate logs are committed asynchronously: the statement turns
// synchronous_commit off for its own (implicit, one-statement) transaction
// with set_config(…, true), the statement form of SET LOCAL, so the commit
// does not wait for its WAL to reach the disk. A validate is a read; its log
// is an audit record, and a crash of the database server (not of vendrule)
// may lose the validate logs of the last ≤ 3 × wal_writer_delay (600 ms by
// default) — never a redeem, a rollback or an unlock, whose commits stay
// synchronous, and never a validate log older than a later synchronous
// commit, which flushes the WAL before it (docs/vouchers.md, "Speed").
const asyncCommit = `WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
	`

// logAsyncSQL writes one validate log with an asynchronous commit.
const logAsyncSQL = asyncCommit + `INSERT INTO voucher_logs (user_group, voucher, requester, requester_location,
		action, success, request, response, currency)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM async`

// logsSQL writes several validate logs with an asynchronous commit.
const logsSQL = asyncCommit + `INSERT INTO voucher_logs (user_group, voucher, requester, requester_location,
		action, success, request, response, currency)
	SELECT l.* FROM async, unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::smallint[],
		$7::text[], $8::text[], $9::text[]) l`

// insertLogs writes rows in one statement, committed asynchronously.
func (s *Service) insertLogs(ctx context.Context, rows []logRow) error {
	if len(rows) == 1 {
		r := rows[0]
		return s.DB.WithConn(ctx, func(c *pgx.Conn) error {
			_, err := c.Exec(ctx, logAsyncSQL, r.userGroup, r.voucher, r.requester, r.location, r.action,
				r.success, r.request, r.response, r.currency)
			return err
		})
	}
	n := len(rows)
	ug, succ := make([]int64, n), make([]int16, n)
	v, who, loc, act, req, resp, cur := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	for i, r := range rows {
		ug[i], v[i], who[i], loc[i], act[i], succ[i] = r.userGroup, r.voucher, r.requester, r.location, r.action, r.success
		req[i], resp[i], cur[i] = r.request, r.response, r.currency
	}
	return s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, logsSQL, ug, v, who, loc, act, succ, req, resp, cur)
		return err
	})
}
