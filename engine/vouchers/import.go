package vouchers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/vendrule/vendrule/models"
)

// An import brings codes that exist elsewhere (printed on paper, sold by a
// partner) into a campaign. It is checked whole before anything is stored,
// so that a manager fixes the file once with every wrong line in view, and
// it is stored in one transaction, so that a file is either in or not: a
// half-imported file could not be sent again without its duplicates.

// Import limits. MaxImportLines matches the largest generation; the 1 MiB
// body limit of every route also applies (about 90 000 lines of a 10-character
// code), so a bigger file is split and sent in parts, each atomic.
const (
	MaxImportLines   = models.MaxTotalVouchers
	maxReportedLines = 1000 // an error answer names at most this many lines
)

// ImportColumns are the CSV columns an import understands: code is
// required; value (cents, or percent for a percent campaign) and expiresOn
// override the campaign's setting for that voucher when not empty.
var ImportColumns = []string{"code", "value", "expiresOn"}

// importRow is one voucher of the file with the line it came from.
type importRow struct {
	line int
	in   models.VoucherInput
}

// ImportVouchers adds the vouchers of the CSV file body to campaign id, all
// or none, and returns how many it added. Codes are stored upper-cased
// (CanonicalCode), as every code is.
// Returns ENOTFOUND, ECONFLICT (the campaign is being generated or failed,
// or a code was taken while importing), ETOOLARGE (more than MaxImportLines)
// and EINVALID whose Fields name each wrong line ("line 7": reason).
func (s *Service) ImportVouchers(ctx context.Context, sc models.Scope, id int64, body io.Reader) (int, error) {
	c, err := s.Campaign(ctx, sc, id)
	if err != nil {
		return 0, err
	}
	if c.Status == models.StatusCreating || c.Status == models.StatusFailed {
		return 0, models.Errorf(models.ECONFLICT, "campaign is %s", c.Status)
	}
	rows, bad, err := readImport(c, body)
	if err != nil {
		return 0, err
	}
	err = s.pgxTx(ctx, func(tx pgx.Tx) error {
		if err := markTaken(ctx, tx, c.Tenant, rows, bad); err != nil {
			return err
		}
		if err := bad.err(); err != nil {
			return err
		}
		return insertImport(ctx, tx, c, rows)
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// lineErrors holds the reason each wrong line is refused, by line number.
type lineErrors map[int]string

// err returns nil when no line is wrong, else one EINVALID naming the
// first maxReportedLines wrong lines.
func (b lineErrors) err() error {
	if len(b) == 0 {
		return nil
	}
	lines := make([]int, 0, len(b))
	for l := range b {
		lines = append(lines, l)
	}
	sort.Ints(lines)
	e := &models.Error{Code: models.EINVALID, Fields: map[string]string{},
		Message: fmt.Sprintf("%d lines are wrong; nothing was imported", len(b))}
	if len(b) == 1 {
		e.Message = fmt.Sprintf("line %d: %s; nothing was imported", lines[0], b[lines[0]])
	}
	for _, l := range lines[:min(len(lines), maxReportedLines)] {
		e.Fields["line "+strconv.Itoa(l)] = b[l]
	}
	return e
}

// readImport parses and checks the file: its header, each line against the
// campaign like POST /vouchers, and duplicates inside the file. Wrong lines
// are collected, not returned; the error is for a file that cannot be read.
func readImport(c *models.Campaign, body io.Reader) ([]importRow, lineErrors, error) {
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1
	cols, width, err := readHeader(r)
	if err != nil {
		return nil, nil, err
	}
	var rows []importRow
	bad := lineErrors{}
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, models.Errorf(models.EINVALID, "not CSV: %v", err)
		}
		if len(rows)+len(bad) == MaxImportLines {
			return nil, nil, models.Errorf(models.ETOOLARGE, "more than %d vouchers in one import", MaxImportLines)
		}
		line, _ := r.FieldPos(0)
		row, reason := importLine(c, cols, rec)
		if len(rec) > width {
			reason = "more cells than columns"
		}
		if first, dup := seen[row.Code]; dup && reason == "" {
			reason = fmt.Sprintf("code %s is already on line %d", row.Code, first)
		}
		if reason != "" {
			bad[line] = reason
			continue
		}
		seen[row.Code] = line
		rows = append(rows, importRow{line: line, in: row})
	}
	if len(rows)+len(bad) == 0 {
		return nil, nil, models.Errorf(models.EINVALID, "the file has no vouchers after its header line")
	}
	return rows, bad, nil
}

// readHeader reads the first line and returns the position of each known
// column (-1 when absent) and the number of columns.
func readHeader(r *csv.Reader) (map[string]int, int, error) {
	head, err := r.Read()
	if err != nil {
		return nil, 0, models.Errorf(models.EINVALID, "the first line must name the columns (code, value, expiresOn)")
	}
	cols := map[string]int{}
	for _, name := range ImportColumns {
		cols[name] = -1
	}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // spreadsheets start UTF-8 files with a BOM
		known := slices.IndexFunc(ImportColumns, func(n string) bool { return strings.EqualFold(n, h) })
		if known < 0 || cols[ImportColumns[known]] >= 0 {
			return nil, 0, models.Errorf(models.EINVALID, "column %q is unknown or named twice; the columns are %s",
				h, strings.Join(ImportColumns, ", "))
		}
		cols[ImportColumns[known]] = i
	}
	if cols["code"] < 0 {
		return nil, 0, models.Errorf(models.EINVALID, "the column code is missing")
	}
	return cols, len(head), nil
}

// importLine turns one record into a voucher input for campaign c and
// returns why it is refused ("" when it is fine).
func importLine(c *models.Campaign, cols map[string]int, rec []string) (models.VoucherInput, string) {
	cell := func(name string) string {
		if i := cols[name]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	in := models.VoucherInput{Campaign: c.ID, Code: CanonicalCode(cell("code"))}
	if in.Code == "" {
		return in, "code: is required"
	}
	if v := cell("value"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return in, "value: must be a whole number"
		}
		in.Value = &n
	}
	if d := cell("expiresOn"); d != "" {
		in.ExpiresOn = &d
	}
	if err := in.Validate(); err != nil {
		return in, models.MessageOf(err)
	}
	if err := checkVoucherInput(c, &in); err != nil {
		return in, models.MessageOf(err)
	}
	return in, ""
}

// markTaken adds a reason for every row whose code the tenant already has.
func markTaken(ctx context.Context, tx pgx.Tx, tenant int64, rows []importRow, bad lineErrors) error {
	codes := make([]string, len(rows))
	line := make(map[string]int, len(rows))
	for i, r := range rows {
		codes[i], line[r.in.Code] = r.in.Code, r.line
	}
	taken, err := tx.Query(ctx, `SELECT code FROM vouchers WHERE tenant = $1 AND code = ANY($2)`, tenant, codes)
	if err != nil {
		return err
	}
	found, err := pgx.CollectRows(taken, pgx.RowTo[string])
	for _, code := range found {
		bad[line[code]] = "code " + code + " already exists"
	}
	return err
}

// insertImport copies the rows into a staging table and on into vouchers of
// campaign c. A code taken since markTaken (a concurrent create) makes the
// whole import fail rather than leave a line out.
func insertImport(ctx context.Context, tx pgx.Tx, c *models.Campaign, rows []importRow) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE voucher_import (id uuid, code text, value bigint,
		expires_on text) ON COMMIT DROP`); err != nil {
		return err
	}
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		in := rows[i].in
		return []any{uuid.New(), in.Code, in.Value, in.ExpiresOn}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"voucher_import"}, []string{"id", "code", "value", "expires_on"}, src); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO vouchers (id, code, user_group, tenant, campaign, type, value,
			expires_on, status)
		SELECT id, code, @userGroup, @tenant, @campaign, @type, value, expires_on, 'active'
		FROM voucher_import ON CONFLICT (tenant, code) DO NOTHING`,
		pgx.StrictNamedArgs{
			"userGroup": c.UserGroup,
			"tenant":    c.Tenant,
			"campaign":  c.ID,
			"type":      c.Type,
		})
	if err == nil && int(tag.RowsAffected()) != len(rows) {
		return models.Errorf(models.ECONFLICT, "some codes were created while importing; nothing was imported, send the file again")
	}
	return err
}
