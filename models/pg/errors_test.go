package pg_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
	"github.com/vendrule/vendrule/models/pgtest"
)

// TestMapErrorOwnWords provokes real PostgreSQL errors and checks that the
// client's message is ours: no constraint, table or PostgreSQL text, and the
// field where one is known.
func TestMapErrorOwnWords(t *testing.T) {
	t.Parallel()
	db := pgtest.MustOpenDB(t)
	exec := func(sql string, args ...any) error { return db.Exec(sql, args...).Error }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var group int64
	must(db.Raw(`INSERT INTO user_groups (name) VALUES ('errors-tenant') RETURNING id`).Scan(&group).Error)
	must(exec(`INSERT INTO users (user_group, username, email) VALUES (?, 'erin', 'erin@example.test')`, group))
	must(exec(`CREATE TABLE odd_rules (a int, b int, CONSTRAINT odd_rule CHECK (a < b), CONSTRAINT odd_pair UNIQUE (a, b))`))
	must(exec(`INSERT INTO odd_rules VALUES (1, 2)`))

	tests := []struct {
		name    string
		err     error
		code    string
		message string
		field   string // "" when no field is named
	}{
		{"unique email", exec(`INSERT INTO users (user_group, username, email) VALUES (?, 'erin2', 'ERIN@example.test')`, group),
			models.ECONFLICT, "already exists: email", "email"},
		{"unique username", exec(`INSERT INTO users (user_group, username, email) VALUES (?, 'Erin', 'e2@example.test')`, group),
			models.ECONFLICT, "already exists: username", "username"},
		{"unique of no field", exec(`INSERT INTO odd_rules VALUES (1, 2)`), models.ECONFLICT, "already exists", ""},
		{"column check", exec(`INSERT INTO alert_observers (user_group, name, type, observer, timer, timer_type)
			VALUES (?, 'o', 'event', 'occurrence', 0, 1)`, group), models.EINVALID, "invalid value for timer", "timer"},
		{"column check of a snake_case column", exec(`INSERT INTO alert_observers (user_group, name, type, observer, timer, timer_type)
			VALUES (?, 'o', 'event', 'occurrence', 1, 9)`, group), models.EINVALID, "invalid value for timerType", "timerType"},
		{"table check", exec(`INSERT INTO odd_rules VALUES (3, 1)`), models.EINVALID, "invalid value", ""},
		{"not null", exec(`INSERT INTO locations (user_group, name) VALUES (?, NULL)`, group),
			models.EINVALID, "name is required", "name"},
		{"int out of range", exec(`SELECT ?::int`, "99999999999"), models.EINVALID, "invalid value: a number is out of range", ""},
		{"not a number", exec(`SELECT ?::bigint`, "abc"), models.EINVALID, "invalid value: a value does not have", ""},
		{"not a time", exec(`SELECT ?::timestamptz`, "not-a-time"), models.EINVALID, "invalid value: not a date or time", ""},
		{"NUL in text", exec(`SELECT ?::text`, "a\x00b"), models.EINVALID, "invalid value: text must be UTF-8", ""},
		{"bad like pattern", exec(`SELECT 'x' ILIKE ?`, `\`), models.EINVALID, "invalid value: a like pattern", ""},
		{"other data exception", exec(`SELECT 1 / 0`), models.EINVALID, "invalid value", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pg.MapError(tt.err)
			var e *models.Error
			if !errors.As(err, &e) {
				t.Fatalf("MapError(%v) = %#v, want a *models.Error", tt.err, err)
			}
			if e.Code != tt.code || !strings.HasPrefix(e.Message, tt.message) {
				t.Errorf("got %s %q, want %s %q…", e.Code, e.Message, tt.code, tt.message)
			}
			if tt.field != "" && e.Fields[tt.field] == "" {
				t.Errorf("fields %v do not name %s", e.Fields, tt.field)
			}
			for _, leak := range []string{"constraint", "relation", "odd_", "users_", "alert_observers", "violates",
				"Key (", "UTF8", "0x00", "syntax", "integer", "99999999999", "division"} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("message %q quotes PostgreSQL (%q)", e.Message, leak)
				}
			}
		})
	}
}
