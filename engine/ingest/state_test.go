package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/vendrule/vendrule/engine/ingest"
	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

// lastItems reads a machine's last-item fields as the API answers them.
func lastItems(t *testing.T, db *pg.DB, machine int64) models.Machine {
	t.Helper()
	var m models.Machine
	if err := db.Table("machines").Where("id = ?", machine).Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// itemID returns the id of the item of table stored for (machine, remote).
func itemID(t *testing.T, db *pg.DB, table string, machine, remote int64) int64 {
	t.Helper()
	var id int64
	if err := db.Table(table).Where("machine = ? AND remote = ?", machine, remote).Pluck("id", &id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func checkLast(t *testing.T, name string, gotID *int64, gotAt *time.Time, wantID int64, wantAt time.Time) {
	t.Helper()
	if gotID == nil || gotAt == nil || *gotID != wantID || !gotAt.Equal(wantAt) {
		t.Errorf("%s = %v at %v, want %d at %s", name, gotID, gotAt, wantID, wantAt)
	}
}

// TestLastItemsMoveOnlyForward: ingestion keeps each machine's newest event
// and sale by occurredAt; late backlogs, duplicates and ties never move them
// back.
func TestLastItemsMoveOnlyForward(t *testing.T) {
	db := pgtest.MustOpenDB(t)
	sc := newMachine(t, db)
	svc := &ingest.Service{DB: db, Now: time.Now}
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(r int) time.Time { return base.Add(time.Duration(r) * time.Second) }
	if m := lastItems(t, db, sc.MachineID); m.LastLog != nil || m.LastRevenuetransaction != nil {
		t.Fatalf("a new machine has last items: %+v", m)
	}
	steps := []struct {
		name       string
		events     []models.EventInput
		sales      []models.TransactionInput
		wantRemote int // the newest event's and sale's remote afterwards (they share the times)
	}{
		{"first batch", batch(10, 5), sales(10, 5), 14},
		{"late backlog", batch(1, 5), sales(1, 5), 14},
		{"re-upload", batch(10, 5), sales(10, 5), 14},
		{"newer", batch(20, 2), sales(20, 2), 21},
	}
	for _, s := range steps {
		if _, err := svc.IngestEvents(ctx, sc, s.events); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.IngestTransactions(ctx, sc, s.sales); err != nil {
			t.Fatal(err)
		}
		m, r := lastItems(t, db, sc.MachineID), int64(s.wantRemote)
		checkLast(t, s.name+": lastLog", m.LastLog, m.LastLogAt, itemID(t, db, "logs", sc.MachineID, r), at(s.wantRemote))
		checkLast(t, s.name+": lastRevenuetransaction", m.LastRevenuetransaction, m.LastRevenuetransactionAt,
			itemID(t, db, "revenue_transactions", sc.MachineID, r), at(s.wantRemote))
	}

	// A tie on occurredAt goes to the later id: the newer upload.
	tie := batch(21, 1)
	r := int64(99)
	tie[0].Remote = &r
	if _, err := svc.IngestEvents(ctx, sc, tie); err != nil {
		t.Fatal(err)
	}
	m := lastItems(t, db, sc.MachineID)
	checkLast(t, "tie: lastLog", m.LastLog, m.LastLogAt, itemID(t, db, "logs", sc.MachineID, 99), at(21))
}

// sameLocation adds a machine next to machine, of the same group.
func sameLocation(t *testing.T, db *pg.DB, machine int64, hostname string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(`INSERT INTO machines (user_group, name, hostname, location)
		SELECT user_group, ?, ?, location FROM machines WHERE id = ? RETURNING id`, hostname, hostname, machine).
		Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// TestLastItemsPerMachine: a manager's batch for several machines moves
// each machine's own last item, and no other machine's.
func TestLastItemsPerMachine(t *testing.T) {
	db := pgtest.MustOpenDB(t)
	sc := newMachine(t, db)
	other, idle := sameLocation(t, db, sc.MachineID, "second-host"), sameLocation(t, db, sc.MachineID, "idle")
	manager := models.Scope{UserID: 1, GroupID: sc.GroupID, Groups: sc.Groups}
	in := append(batch(1, 3), batch(4, 2)...)
	for i := range in {
		id := sc.MachineID
		if i >= 3 {
			id = other
		}
		in[i].Machine = &id
	}
	svc := &ingest.Service{DB: db, Now: time.Now}
	if _, err := svc.IngestEvents(context.Background(), manager, in); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	m := lastItems(t, db, sc.MachineID)
	checkLast(t, "first machine", m.LastLog, m.LastLogAt, itemID(t, db, "logs", sc.MachineID, 3), base.Add(3*time.Second))
	m = lastItems(t, db, other)
	checkLast(t, "second machine", m.LastLog, m.LastLogAt, itemID(t, db, "logs", other, 5), base.Add(5*time.Second))
	if m := lastItems(t, db, idle); m.LastLog != nil {
		t.Errorf("a machine outside the batch got a last log: %d", *m.LastLog)
	}
}
