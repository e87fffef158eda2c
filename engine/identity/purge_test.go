package identity

import (
	"context"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestPurgeKeepsWhatStillMatters(t *testing.T) {
	db := pgtest.MustOpenDB(t)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	s := New(db, []byte("0123456789abcdef0123456789abcdef"))
	s.Now = func() time.Time { return now }
	for _, at := range []time.Time{now.Add(-2 * time.Hour), now.Add(-10 * time.Minute)} {
		if err := db.Exec("INSERT INTO login_failures (key, failed_at) VALUES ('user:x', ?)", at).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left int64
	db.Raw("SELECT count(*) FROM login_failures").Scan(&left)
	if left != 1 {
		t.Fatalf("login failures left = %d, want 1 (the recent one)", left)
	}
}
