package ingest

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// IngestTransactions validates a batch of sales as a whole and stores the
// ones not stored before for the same (machine, remote), with their inline
// payments. Returns EINVALID naming the item ("[3].payments[0].method") when
// any item is wrong, in which case nothing is stored, and EFORBIDDEN when a
// device names another machine.
func (s *Service) IngestTransactions(ctx context.Context, sc models.Scope, in []models.TransactionInput) (Result, error) {
	if err := checkSize(len(in)); err != nil {
		return Result{}, err
	}
	txs, err := s.prepareTransactions(ctx, sc, in)
	if err != nil {
		return Result{}, err
	}
	b := &Batch{Scope: sc}
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if b.Transactions, err = insertTransactions(ctx, tx, txs); err != nil {
			return err
		}
		if err := insertPayments(ctx, tx, b.Transactions); err != nil {
			return err
		}
		return s.stored(ctx, tx, b)
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Stored: len(b.Transactions), Duplicates: len(txs) - len(b.Transactions)}, nil
}

// prepareTransactions validates every item, binds it to its machine and
// fills in what comes from the machine.
func (s *Service) prepareTransactions(ctx context.Context, sc models.Scope, in []models.TransactionInput) ([]models.RevenueTransaction, error) {
	txs := make([]models.RevenueTransaction, len(in))
	ids := make([]int64, len(in))
	for i := range in {
		t, err := in[i].Transaction()
		if err != nil {
			return nil, models.PrefixError(err, fmt.Sprintf("[%d].", i))
		}
		if t.Machine, err = machineOf(sc, i, in[i].Machine); err != nil {
			return nil, err
		}
		txs[i], ids[i] = t, t.Machine
	}
	ms, err := s.resolveMachines(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	for i := range txs {
		fillTransaction(&txs[i], ms[txs[i].Machine])
	}
	return txs, nil
}

// fillTransaction copies the machine's tenant, location, time zone and (when
// the sale names none) currency onto the sale and its payments.
func fillTransaction(t *models.RevenueTransaction, m machine) {
	t.UserGroup, t.Location, t.TimeZone = m.UserGroup, m.Location, m.TimeZone
	if t.Currency == "" {
		t.Currency = m.Currency
	}
	for i := range t.Payments {
		p := &t.Payments[i]
		p.UserGroup, p.Machine, p.Location, p.TimeZone = m.UserGroup, m.ID, m.Location, m.TimeZone
		if p.Currency == "" {
			p.Currency = t.Currency
		}
	}
}

var transactionColumns = []string{"user_group", "machine", "location", "remote", "product", "name",
	"internal_ref", "occurred_at", "time_zone", "original_price", "price", "barcode", "currency", "token",
	"salestype", "num_payment_transactions", "pricelist"}

// insertTransactions inserts sales, skipping those already stored, and
// returns the new ones with their ids.
func insertTransactions(ctx context.Context, tx *gorm.DB, txs []models.RevenueTransaction) ([]models.RevenueTransaction, error) {
	return insertNew(ctx, tx, "revenue_transactions", transactionColumns, txs,
		func(t *models.RevenueTransaction) (machineRemote, []any) {
			return machineRemote{t.Machine, t.Remote}, []any{t.UserGroup, t.Machine, t.Location, t.Remote,
				t.Product, t.Name, t.InternalRef, t.OccurredAt, t.TimeZone, t.OriginalPrice, t.Price, t.Barcode,
				t.Currency, t.Token, t.Salestype, t.NumPaymentTransactions, t.Pricelist}
		})
}

var paymentColumns = []string{"user_group", "revenuetransaction", "machine", "location", "occurred_at",
	"time_zone", "method", "type", "price", "currency", "exclude", "report_group"}

// insertPayments inserts the payments of the new sales and sets their ids.
func insertPayments(ctx context.Context, tx *gorm.DB, txs []models.RevenueTransaction) error {
	var rows [][]any
	var targets []*models.PaymentTransaction
	for i := range txs {
		for j := range txs[i].Payments {
			p := &txs[i].Payments[j]
			p.Revenuetransaction = txs[i].ID
			rows = append(rows, []any{p.UserGroup, p.Revenuetransaction, p.Machine, p.Location, p.OccurredAt,
				p.TimeZone, p.Method, p.Type, p.Price, p.Currency, p.Exclude, p.ReportGroup})
			targets = append(targets, p)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	n := 0
	return insertRows(ctx, tx, "payment_transactions", paymentColumns, rows,
		"RETURNING id, created_at, updated_at", func(r *sql.Rows) error {
			p := targets[n]
			n++
			return r.Scan(&p.ID, &p.CreatedAt, &p.UpdatedAt)
		})
}
