package ingest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

// NewTestMachine makes a tenant with one machine and returns the machine's
// device scope. It lives in package ingest so that the package's own
// benchmarks and ingest_test share it.
func NewTestMachine(tb testing.TB, db *pg.DB) models.Scope {
	tb.Helper()
	var group, loc, machine int64
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(db.Raw(`INSERT INTO user_groups (name) VALUES ('bench') RETURNING id`).Scan(&group).Error)
	must(db.Raw(`INSERT INTO locations (user_group, name) VALUES (?, 'loc') RETURNING id`, group).Scan(&loc).Error)
	must(db.Raw(`INSERT INTO machines (user_group, name, hostname, location) VALUES (?, 'm', 'bench-host', ?)
		RETURNING id`, group, loc).Scan(&machine).Error)
	return models.Scope{MachineID: machine, DeviceID: "bench-host", GroupID: group, Groups: []int64{group}}
}

// BenchmarkLastItemCost measures what keeping the machines' last items adds
// to storing a batch: each iteration stores batches of 500 events, in one
// transaction each, in turn with the plain insert, with the insert followed
// by moveLastItems, and with the plain insert again. Taking turns lets all
// three see the same load and the same table, which on a shared machine
// matters more than the number of iterations; the second plain batch shows
// the noise (its ratio would be 1 on a quiet machine).
func BenchmarkLastItemCost(b *testing.B) {
	db := pgtest.MustOpenDB(b)
	sc := NewTestMachine(b, db)
	machine, group := sc.MachineID, sc.GroupID
	var loc int64
	if err := db.Raw(`SELECT location FROM machines WHERE id = ?`, machine).Scan(&loc).Error; err != nil {
		b.Fatal(err)
	}
	const size = 500
	events := func(batch int) []models.Event {
		out := make([]models.Event, size)
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range out {
			r := int64(batch*size + i)
			out[i] = models.Event{Remote: r, Machine: machine, Location: loc, Code: "ED017",
				TimeZone: "UTC", OccurredAt: base.Add(time.Duration(r) * time.Second)}
			out[i].UserGroup = group
		}
		return out
	}
	plain := func(ctx context.Context, tx *gorm.DB, es []models.Event) error {
		return insertUnnest(ctx, tx, "logs", eventColumns(es),
			"ON CONFLICT (machine, remote) DO NOTHING RETURNING id, machine, remote, created_at, updated_at",
			func(r *sql.Rows) error { var a, b, c int64; var d, e time.Time; return r.Scan(&a, &b, &c, &d, &e) })
	}
	moving := func(ctx context.Context, tx *gorm.DB, es []models.Event) error {
		stored, err := insertEvents(ctx, tx, es)
		if err != nil {
			return err
		}
		return moveLastItems(ctx, tx, lastLog, len(stored), func(i int) (int64, int64, time.Time) {
			return stored[i].Machine, stored[i].ID, stored[i].OccurredAt
		})
	}
	ctx := context.Background()
	var took [3]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, insert := range []func(context.Context, *gorm.DB, []models.Event) error{plain, moving, plain} {
			es := events(3*i + k)
			start := time.Now()
			if err := db.Tx(ctx, func(tx *gorm.DB) error { return insert(ctx, tx, es) }); err != nil {
				b.Fatal(err)
			}
			took[k] += time.Since(start)
		}
	}
	b.ReportMetric(float64(took[0].Microseconds())/float64(b.N), "µs/plain-batch")
	b.ReportMetric(float64(took[1].Microseconds())/float64(b.N), "µs/moving-batch")
	b.ReportMetric(float64(took[1])/float64(took[0]), "moving-ratio")
	b.ReportMetric(float64(took[2])/float64(took[0]), "plain-again-ratio")
}
