package vouchers

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Generation works as one transaction: every voucher of a campaign is
// copied in with COPY in chunks, and the campaign turns "active" in the same
// commit, so a failure leaves no voucher behind. Progress written inside
// that transaction would be invisible until the commit, so after each chunk
// generated_vouchers is set from another connection; a reader sees it grow
// while the vouchers themselves appear all at once. A crash leaves the
// campaign "creating" with no vouchers, and Resume simply redoes it.

// startGeneration generates campaign id's vouchers in the background.
func (s *Service) startGeneration(id int64) {
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		if err := s.Generate(s.ctx, id); err != nil {
			s.Log.Error("voucher generation failed", "campaign", id, "err", err)
		}
	}()
}

// Resume restarts the generation of every campaign left "creating", e.g. by
// a crash. Replicas may all call it: an advisory lock lets one of them do
// each campaign.
func (s *Service) Resume(ctx context.Context) error {
	var ids []int64
	err := s.DB.WithContext(ctx).Raw(`SELECT id FROM campaigns WHERE status = 'creating' ORDER BY id`).Scan(&ids).Error
	if err != nil {
		return pg.MapError(err)
	}
	for _, id := range ids {
		s.startGeneration(id)
	}
	return nil
}

// Generate creates the vouchers of campaign id, all or none. On failure the
// campaign becomes "failed" with the reason; when ctx ends first it stays
// "creating" so that Resume redoes it.
func (s *Service) Generate(ctx context.Context, id int64) error {
	err := s.pgxTx(ctx, func(tx pgx.Tx) error { return s.generate(ctx, tx, id) })
	if err == nil || ctx.Err() != nil {
		return err
	}
	markErr := s.DB.Exec(`UPDATE campaigns SET status = 'failed', generation_error = ?, generated_vouchers = 0,
		updated_at = now() WHERE id = ? AND status = 'creating'`, models.MessageOf(err), id).Error
	return errors.Join(err, pg.MapError(markErr))
}

// errBusy says another replica holds a campaign's generation.
var errBusy = errors.New("vouchers: generation runs elsewhere")

func (s *Service) generate(ctx context.Context, tx pgx.Tx, id int64) error {
	var got bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(7723, $1::int)`, id).Scan(&got); err != nil {
		return err
	}
	if !got {
		return nil
	}
	var c models.Campaign
	err := tx.QueryRow(ctx, `SELECT user_group, tenant, type, prefix, suffix, code_length, code_alphabet,
		total_vouchers, status FROM campaigns WHERE id = $1`, id).Scan(&c.UserGroup, &c.Tenant, &c.Type, &c.Prefix,
		&c.Suffix, &c.CodeLength, &c.CodeAlphabet, &c.TotalVouchers, &c.Status)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && c.Status != models.StatusCreating) {
		return nil // deleted, or done by another replica
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM vouchers WHERE campaign = $1`, id); err != nil {
		return err
	}
	tmpl := models.Voucher{UserGroup: c.UserGroup, Tenant: c.Tenant, Campaign: id, Type: c.Type,
		Prefix: c.Prefix, Status: models.StatusActive}
	if err := s.insertDrawn(ctx, tx, &tmpl, c.TotalVouchers, s.drawer(c.CodePattern()), s.progress(id)); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE campaigns SET status = 'active', generated_vouchers = total_vouchers,
		updated_at = now() WHERE id = $1`, id)
	return err
}

// progress publishes the count of generated vouchers from another
// connection and calls the AfterChunk hook.
func (s *Service) progress(id int64) func(done int) error {
	return func(done int) error {
		if err := s.DB.Exec(`UPDATE campaigns SET generated_vouchers = ? WHERE id = ?`, done, id).Error; err != nil {
			return pg.MapError(err)
		}
		if s.AfterChunk != nil {
			return s.AfterChunk(id, done)
		}
		return nil
	}
}

// pgxTx runs fn in a transaction on a pgx connection of the pool, for COPY.
func (s *Service) pgxTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	conn, err := s.DB.SQL.Conn(ctx)
	if err != nil {
		return pg.MapError(err)
	}
	defer conn.Close()
	return pg.MapError(conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		return pgx.BeginFunc(ctx, pc, fn)
	}))
}

// maxCodeRounds bounds the rounds of new codes drawn for collisions.
const maxCodeRounds = 20

// drawer returns the code generator of pattern p. The default pattern goes
// through s.NewCode, which tests replace to force collisions.
func (s *Service) drawer(p models.CodePattern) func() (string, error) {
	if p.IsDefault() {
		return func() (string, error) { return s.NewCode(p.Prefix) }
	}
	return func() (string, error) { return NewPatternCode(p) }
}

// insertVouchers inserts n vouchers like tmpl with random codes of the
// default pattern and tmpl's prefix (tmpl.Code when set, then n is 1); see
// insertDrawn.
func (s *Service) insertVouchers(ctx context.Context, tx pgx.Tx, tmpl *models.Voucher, n int, after func(int) error) error {
	return s.insertDrawn(ctx, tx, tmpl, n, s.drawer(models.CodePattern{Prefix: tmpl.Prefix}), after)
}

// insertDrawn inserts n vouchers like tmpl with codes from draw (tmpl.Code
// when set, then n is 1), chunk by chunk: codes go to a staging table with
// COPY and on into vouchers, skipping codes the tenant already has; the
// missing ones are drawn again. after is called after each chunk.
func (s *Service) insertDrawn(ctx context.Context, tx pgx.Tx, tmpl *models.Voucher, n int, draw func() (string, error), after func(int) error) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS voucher_stage (id uuid, code text) ON COMMIT DROP`); err != nil {
		return err
	}
	chunk := max(s.ChunkSize, 1)
	for done := 0; done < n; {
		size := min(chunk, n-done)
		if err := s.insertChunk(ctx, tx, tmpl, size, draw); err != nil {
			return err
		}
		done += size
		if after != nil {
			if err := after(done); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertChunk inserts exactly size vouchers, drawing new codes for the
// ones that collide with existing codes of the tenant.
func (s *Service) insertChunk(ctx context.Context, tx pgx.Tx, tmpl *models.Voucher, size int, draw func() (string, error)) error {
	for round := 0; size > 0; round++ {
		if round == maxCodeRounds {
			return models.Errorf(models.ECONFLICT, "could not find free voucher codes after %d rounds", round)
		}
		rows, err := stageRows(tmpl, size, draw)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `TRUNCATE voucher_stage`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"voucher_stage"}, []string{"id", "code"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		inserted, err := moveStaged(ctx, tx, tmpl)
		if err != nil {
			return err
		}
		if tmpl.Code != "" && inserted == 0 {
			return models.Errorf(models.ECONFLICT, "code %q is already taken", tmpl.Code)
		}
		size -= inserted
	}
	return nil
}

// stageRows returns size (id, code) rows with distinct codes.
func stageRows(tmpl *models.Voucher, size int, draw func() (string, error)) ([][]any, error) {
	seen := make(map[string]struct{}, size)
	rows := make([][]any, 0, size)
	for len(rows) < size {
		code := tmpl.Code
		if code == "" {
			var err error
			if code, err = draw(); err != nil {
				return nil, err
			}
		}
		if _, dup := seen[code]; dup {
			if tmpl.Code != "" {
				return nil, fmt.Errorf("vouchers: custom code used twice")
			}
			continue
		}
		seen[code] = struct{}{}
		rows = append(rows, []any{uuid.New(), code})
	}
	return rows, nil
}

// moveStaged inserts the staged codes as vouchers like tmpl and returns
// how many were new to the tenant.
func moveStaged(ctx context.Context, tx pgx.Tx, t *models.Voucher) (int, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO vouchers (id, code, user_group, tenant, campaign, type, prefix,
			value, value_type, redemption_limit, reset_frequency, expires_on, time_zone, validation_rules,
			redemption_rules, status, text1, text2, text3, text4, style, voucher_comments, valid_from)
		SELECT id, upper(code), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16,
			$17, $18, $19, $20, $21
		FROM voucher_stage ON CONFLICT (tenant, code) DO NOTHING`,
		t.UserGroup, t.Tenant, t.Campaign, t.Type, t.Prefix, t.Value, t.ValueType, t.RedemptionLimit,
		t.ResetFrequency, t.ExpiresOn, t.TimeZone, jsonArg(t.ValidationRules), jsonArg(t.RedemptionRules),
		t.Status, t.Text1, t.Text2, t.Text3, t.Text4, t.Style, t.VoucherComments, t.ValidFrom)
	return int(tag.RowsAffected()), err
}

// jsonArg encodes a rules list for a jsonb parameter; nil is NULL.
func jsonArg(v driver.Valuer) any {
	out, _ := v.Value()
	return out
}
