package ingest_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newMachine makes a tenant with one machine and returns the machine's
// device scope.
func newMachine(tb testing.TB, db *pg.DB) models.Scope { return ingest.NewTestMachine(tb, db) }

func batch(from, n int) []models.EventInput {
	out := make([]models.EventInput, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		r := int64(from + i)
		out[i] = models.EventInput{Remote: &r, Code: "ED017",
			OccurredAt: base.Add(time.Duration(r) * time.Second).Format(time.RFC3339)}
	}
	return out
}

func TestOnStoredSeesOnlyNewItemsInTheTransaction(t *testing.T) {
	db := pgtest.MustOpenDB(t)
	sc := newMachine(t, db)
	var seen []int
	svc := &ingest.Service{DB: db, Now: time.Now, OnStored: func(ctx context.Context, tx *gorm.DB, b *ingest.Batch) error {
		var n int64
		if err := tx.Table("logs").Count(&n).Error; err != nil {
			return err
		}
		if int(n) < len(b.Events) {
			t.Errorf("hook sees %d rows, batch has %d new events", n, len(b.Events))
		}
		seen = append(seen, len(b.Events))
		return nil
	}}
	ctx := context.Background()
	for _, in := range [][]models.EventInput{batch(1, 3), batch(1, 3), batch(2, 4)} {
		if _, err := svc.IngestEvents(ctx, sc, in); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 2 || seen[0] != 3 || seen[1] != 2 {
		t.Errorf("hook saw %v new events per call, want [3 2] (no call for an all-duplicate batch)", seen)
	}

	failing := &ingest.Service{DB: db, OnStored: func(context.Context, *gorm.DB, *ingest.Batch) error {
		return models.Errorf(models.ECONFLICT, "no")
	}}
	if _, err := failing.IngestEvents(ctx, sc, batch(100, 5)); models.CodeOf(err) != models.ECONFLICT {
		t.Fatalf("err = %v, want the hook's error", err)
	}
	var n int64
	db.Table("logs").Where("remote >= 100").Count(&n)
	if n != 0 {
		t.Errorf("%d events stored although the hook failed", n)
	}
}

// BenchmarkIngestEvents500 ingests batches of 500 new events for one
// machine and reports events per second.
func BenchmarkIngestEvents500(b *testing.B) {
	db := pgtest.MustOpenDB(b)
	sc := newMachine(b, db)
	svc := &ingest.Service{DB: db, Now: time.Now}
	ctx := context.Background()
	const size = 500
	batches := make([][]models.EventInput, b.N)
	for i := range batches {
		batches[i] = batch(i*size, size)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := svc.IngestEvents(ctx, sc, batches[i])
		if err != nil || res.Stored != size {
			b.Fatalf("batch %d: %+v %v", i, res, err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
}

// sales returns n sales with one cash payment each, remotes from, from on.
func sales(from, n int) []models.TransactionInput {
	out := make([]models.TransactionInput, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		r := int64(from + i)
		out[i] = models.TransactionInput{Remote: &r, Name: "coffee", Price: 250,
			OccurredAt: base.Add(time.Duration(r) * time.Second).Format(time.RFC3339),
			Payments:   []models.PaymentInput{{Method: "cash", Price: 250}}}
	}
	return out
}

// BenchmarkIngestTransactions500 ingests batches of 500 new sales (one
// payment each) for one machine and reports sales per second.
func BenchmarkIngestTransactions500(b *testing.B) {
	db := pgtest.MustOpenDB(b)
	sc := newMachine(b, db)
	svc := &ingest.Service{DB: db, Now: time.Now}
	ctx := context.Background()
	const size = 500
	batches := make([][]models.TransactionInput, b.N)
	for i := range batches {
		batches[i] = sales(i*size, size)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := svc.IngestTransactions(ctx, sc, batches[i])
		if err != nil || res.Stored != size {
			b.Fatalf("batch %d: %+v %v", i, res, err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "sales/s")
}
