package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// benchSetup makes the tenant of the ingestion benchmarks: one machine
// and observers event observers (see benchIngest). It returns the i-th
// batch of 500 events, each with one of ten hot codes.
func (f *fixture) benchSetup(observers int) func(i int) []models.EventInput {
	f.t.Helper()
	m := f.machine(t0.Add(-time.Hour))
	f.errorIdentity(m, "HOT0")
	var profile, mt int64
	f.must(f.db.Raw(`SELECT mm.error_profile FROM machines m JOIN machine_models mm ON mm.id = m.machine_model WHERE m.id = ?`, m).Scan(&profile).Error)
	f.must(f.db.Raw(`SELECT machine_type FROM error_identities WHERE user_group = ? LIMIT 1`, f.group).Scan(&mt).Error)
	identities := observers / 10
	f.must(f.db.Exec(`WITH ids AS (
		INSERT INTO error_identities (user_group, machine_type, error)
		SELECT ?, ?, 'e' || g FROM generate_series(1, ?) g RETURNING id, error)
	INSERT INTO error_codes (user_group, error_identity, error_profile, code)
	SELECT ?, id, ?, 'HOT' || substr(error, 2) FROM ids`, f.group, mt, identities, f.group, profile).Error)
	f.must(f.db.Exec(`INSERT INTO alert_observers (user_group, name, type, observer, timer, timer_type, error, occurs)
		SELECT ?, 'o' || i.id || '-' || k, 'event', 'occurrence', 1, 1, i.id, 100
		FROM error_identities i CROSS JOIN generate_series(1, 10) k
		WHERE i.user_group = ? AND i.error <> 'jam'`, f.group, f.group).Error)
	var n int64
	f.must(f.db.Table("alert_observers").Where("user_group = ?", f.group).Count(&n).Error)
	if int(n) != observers {
		f.t.Fatalf("%d observers, want %d", n, observers)
	}
	const size = 500
	batch := func(i int) []models.EventInput {
		in := make([]models.EventInput, size)
		for k := range in {
			r := int64(i*size + k + 1)
			in[k] = models.EventInput{Remote: &r, Machine: &m, Code: fmt.Sprintf("HOT%d", 1+k%10),
				OccurredAt: t0.Add(time.Duration(r) * time.Second).Format(time.RFC3339)}
		}
		return in
	}
	return batch
}

// benchIngest ingests batches of 500 events on one machine in a tenant with
// observers event observers: ten on each error identity, of which ten
// identities are "hot" (every item has one of them), so that about ten
// observers can match each item whatever the total.
func benchIngest(b *testing.B, observers int, hook bool) {
	f := newFixture(b)
	batch := f.benchSetup(observers)
	if !hook {
		f.ingest.OnStored = nil
	}
	const size = 500
	ctx := context.Background()
	f.clock.Set(t0.Add(24 * time.Hour))
	if _, err := f.ingest.IngestEvents(ctx, f.scope(), batch(0)); err != nil { // creates the watches
		b.Fatal(err)
	}
	batches := make([][]models.EventInput, b.N)
	for i := range batches {
		batches[i] = batch(i + 1)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := f.ingest.IngestEvents(ctx, f.scope(), batches[i])
		if err != nil || res.Stored != size {
			b.Fatalf("batch %d: %+v %v", i, res, err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
	var watches int64
	f.must(f.db.Table("alert_watches").Count(&watches).Error)
	b.ReportMetric(float64(watches), "watches")
}

func BenchmarkIngest500Events10000Observers(b *testing.B) { benchIngest(b, 10000, true) }
func BenchmarkIngest500Events100Observers(b *testing.B)   { benchIngest(b, 100, true) }

// BenchmarkIngest500EventsWithoutAlerts is the reference: the same batches
// stored without the alert hook.
func BenchmarkIngest500EventsWithoutAlerts(b *testing.B) { benchIngest(b, 100, false) }

// BenchmarkTick100DueOf100000 ticks over 100 000 non_occurrence watches
// (1000 observers × 100 machines) of which 100 are due and fire.
func BenchmarkTick100DueOf100000(b *testing.B) {
	f := newFixture(b)
	for i := 0; i < 100; i++ {
		f.machine(t0.Add(-time.Hour))
	}
	f.must(f.db.Exec(`INSERT INTO alert_observers (user_group, name, type, observer, timer, timer_type)
		SELECT ?, 'o' || g, 'transaction', 'non_occurrence', 1, 2 FROM generate_series(1, 1000) g`, f.group).Error)
	f.must(f.db.Exec(`DELETE FROM alert_observer_changes`).Error)
	state := fmt.Sprintf(`{"since": %q}`, t0.Format(time.RFC3339))
	f.must(f.db.Exec(`INSERT INTO alert_watches (observer, machine, due_at, state)
		SELECT o.id, m.id, ?::timestamptz + interval '48 hours', ?::jsonb FROM alert_observers o CROSS JOIN machines m
		WHERE o.user_group = ? AND m.user_group = ?`, t0, state, f.group, f.group).Error)
	f.must(f.db.Exec(`ANALYZE alert_watches`).Error)
	var n int64
	f.must(f.db.Table("alert_watches").Count(&n).Error)
	if n != 100000 {
		b.Fatalf("%d watches", n)
	}
	f.clock.Set(t0.Add(2 * time.Hour))
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f.must(f.db.Exec(`DELETE FROM alerts`).Error)
		f.must(f.db.Exec(`UPDATE alert_watches SET state = ?::jsonb, due_at = ? WHERE (observer, machine) IN (
			SELECT observer, machine FROM alert_watches ORDER BY observer, machine LIMIT 100)`, state, t0.Add(time.Hour)).Error)
		b.StartTimer()
		if err := f.engine.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var fired int64
	f.must(f.db.Table("alerts").Count(&fired).Error)
	if fired != 100 {
		b.Fatalf("%d alerts fired, want 100", fired)
	}
}
