package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/rules"
)

// IngestTransactions validates a batch of sales as a whole and stores the
// ones not stored before for the same (machine, remote), with their inline
// payments. Returns EINVALID naming the item ("[3].payments[0].method") when
// any item is wrong, in which case nothing is stored, and EFORBIDDEN when a
// device names another machine. Budget and ctx bound it as IngestEvents.
func (s *Service) IngestTransactions(ctx context.Context, sc models.Scope, in []models.TransactionInput) (Result, error) {
	ctx, spent, cancel := rules.WithBudget(ctx, s.budget(), "the batch")
	defer cancel()
	res, err := s.ingestTransactions(ctx, sc, in)
	return res, spent(err)
}

// ingestTransactions is IngestTransactions within its budget.
func (s *Service) ingestTransactions(ctx context.Context, sc models.Scope, in []models.TransactionInput) (Result, error) {
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
		err := moveLastItems(ctx, tx, lastRevenuetransaction, len(b.Transactions), func(i int) (int64, int64, time.Time) {
			return b.Transactions[i].Machine, b.Transactions[i].ID, b.Transactions[i].OccurredAt
		})
		if err != nil {
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
	ms, _, err := s.resolveMachines(ctx, sc, ids, nil)
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

// transactionColumns returns the stored columns of sales.
func transactionColumns(txs []models.RevenueTransaction) []column {
	n := len(txs)
	groups, machines, locations, remotes := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	original, prices, salestypes, numPayments := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	products, pricelists := make([]*int64, n), make([]*int64, n)
	names, refs, zones, currencies, tokens := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	barcodes := make([]*string, n)
	occurred := make([]time.Time, n)
	for i := range txs {
		t := &txs[i]
		groups[i], machines[i], locations[i], remotes[i] = t.UserGroup, t.Machine, t.Location, t.Remote
		original[i], prices[i], salestypes[i], numPayments[i] = t.OriginalPrice, t.Price, t.Salestype,
			t.NumPaymentTransactions
		products[i], pricelists[i], barcodes[i], occurred[i] = t.Product, t.Pricelist, t.Barcode, t.OccurredAt
		names[i], refs[i], zones[i], currencies[i], tokens[i] = t.Name, t.InternalRef, t.TimeZone, t.Currency, t.Token
	}
	return []column{{"user_group", "bigint", groups}, {"machine", "bigint", machines},
		{"location", "bigint", locations}, {"remote", "bigint", remotes}, {"product", "bigint", products},
		{"name", "text", names}, {"internal_ref", "text", refs}, {"occurred_at", "timestamptz", occurred},
		{"time_zone", "text", zones}, {"original_price", "bigint", original}, {"price", "bigint", prices},
		{"barcode", "text", barcodes}, {"currency", "text", currencies}, {"token", "text", tokens},
		{"salestype", "bigint", salestypes}, {"num_payment_transactions", "bigint", numPayments},
		{"pricelist", "bigint", pricelists}}
}

// insertTransactions inserts sales, skipping those already stored, and
// returns the new ones with their ids.
func insertTransactions(ctx context.Context, tx *gorm.DB, txs []models.RevenueTransaction) ([]models.RevenueTransaction, error) {
	return insertNew(ctx, tx, "revenue_transactions", transactionColumns(txs), txs,
		func(t *models.RevenueTransaction) machineRemote { return machineRemote{t.Machine, t.Remote} })
}

// insertPayments inserts the payments of the new sales and sets their ids
// (RETURNING gives the rows in the order of the arrays).
func insertPayments(ctx context.Context, tx *gorm.DB, txs []models.RevenueTransaction) error {
	var targets []*models.PaymentTransaction
	for i := range txs {
		for j := range txs[i].Payments {
			p := &txs[i].Payments[j]
			p.Revenuetransaction = txs[i].ID
			targets = append(targets, p)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	n := len(targets)
	groups, sales, machines, locations := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	prices, excludes, reportGroups := make([]int64, n), make([]int64, n), make([]*int64, n)
	occurred := make([]time.Time, n)
	zones, methods, types, currencies := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range targets {
		groups[i], sales[i], machines[i], locations[i] = p.UserGroup, p.Revenuetransaction, p.Machine, p.Location
		prices[i], excludes[i], reportGroups[i], occurred[i] = p.Price, p.Exclude, p.ReportGroup, p.OccurredAt
		zones[i], methods[i], types[i], currencies[i] = p.TimeZone, p.Method, p.Type, p.Currency
	}
	cols := []column{{"user_group", "bigint", groups}, {"revenuetransaction", "bigint", sales},
		{"machine", "bigint", machines}, {"location", "bigint", locations}, {"occurred_at", "timestamptz", occurred},
		{"time_zone", "text", zones}, {"method", "text", methods}, {"type", "text", types},
		{"price", "bigint", prices}, {"currency", "text", currencies}, {"exclude", "smallint", excludes},
		{"report_group", "bigint", reportGroups}}
	k := 0
	return insertUnnest(ctx, tx, "payment_transactions", cols, "RETURNING id, created_at, updated_at",
		func(r *sql.Rows) error {
			if k >= len(targets) {
				return fmt.Errorf("more payments returned than inserted")
			}
			p := targets[k]
			k++
			return r.Scan(&p.ID, &p.CreatedAt, &p.UpdatedAt)
		})
}
