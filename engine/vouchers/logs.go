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

// groupLog writes a log row (a validate's, or a redeem answered from an
// earlier one) with the next group of redeems: one statement and one
// commit for all of them; when that statement fails for a redeem's sake,
// the row is written alone. It returns once the row is committed.
func (s *Service) groupLog(ctx context.Context, r logRow) error {
	res, err := s.spends.Do(ctx, &spend{log: &r})
	if err != nil || !res.relock {
		return err
	}
	return s.DB.WithConn(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, logSQL, r.args())
		return err
	})
}
