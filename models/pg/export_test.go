package pg_test

import (
	"context"
	"slices"
	"testing"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

// TestExportDefusesFormulas exports text that a spreadsheet would run as a
// formula (OWASP's CSV injection list) next to negative numbers from numeric
// columns, which stay numbers.
func TestExportDefusesFormulas(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	var group int64
	if err := db.Raw(`INSERT INTO user_groups (name) VALUES ('export-tenant') RETURNING id`).Scan(&group).Error; err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, city string
		want       string // the name cell
	}{
		{"=HYPERLINK(\"http://evil.test\")", "a", "'=HYPERLINK(\"http://evil.test\")"},
		{"+1+cmd|' /C calc'!A0", "b", "'+1+cmd|' /C calc'!A0"},
		{"-5", "c", "'-5"},
		{"@SUM(A1:A2)", "d", "'@SUM(A1:A2)"},
		{"\t=1+1", "e", "'\t=1+1"},
		{"\r=1+1", "f", "'\r=1+1"},
		{"plain", "g", "plain"},
		{"a=b", "h", "a=b"},
		{"'quoted", "i", "'quoted"},
	}
	for _, tt := range tests {
		err := db.Exec(`INSERT INTO locations (user_group, name, city, latitude, longitude) VALUES (?, ?, ?, -5, -0.5)`,
			group, tt.name, tt.city).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	r := &models.Resource{Name: "locations", Table: "locations", Columns: models.NewColumns("name", "city", "latitude", "longitude")}
	q := models.ListQuery{Sort: "city", Limit: models.MaxLimit}
	var rows [][]string
	err := pg.Export(context.Background(), db.DB, models.Scope{GroupID: group, Groups: []int64{group}}, r, q,
		[]string{"name", "city", "latitude", "longitude"}, func() {}, func(rec []string) error {
			rows = append(rows, slices.Clone(rec))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tests) {
		t.Fatalf("%d rows, want %d", len(rows), len(tests))
	}
	for i, tt := range tests {
		if got := rows[i]; got[0] != tt.want || got[2] != "-5" || got[3] != "-0.5" {
			t.Errorf("%q exported as %q, want %q with numbers -5 and -0.5", tt.name, got, tt.want)
		}
	}
}
