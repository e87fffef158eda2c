package pg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/vendrule/vendrule/models"
)

// mapError turns database errors into coded errors: no rows is ENOTFOUND,
// unique violations ECONFLICT, bad values EINVALID, an unreachable server
// EUNAVAILABLE. Coded errors pass through.
func mapError(err error) error {
	var coded *models.Error
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return models.Errorf(models.ENOTFOUND, "not found")
	case isConnError(err): // before PgError: a refused connection wraps the server's FATAL error
		return &models.Error{Code: models.EUNAVAILABLE, Message: "database unavailable"}
	case errors.As(err, &pgErr):
		return mapPgError(pgErr, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return models.Errorf(models.EUNAVAILABLE, "request cancelled or timed out")
	case errors.As(err, &netErr), isConnError(err):
		return &models.Error{Code: models.EUNAVAILABLE, Message: "database unavailable"}
	}
	return err
}

// mapPgError answers a PostgreSQL error in our own words: clients never see
// PostgreSQL's text, which names constraints and tables and quotes values,
// and changes with the server's language. The original is logged.
func mapPgError(pgErr *pgconn.PgError, err error) error {
	mapped := pgErrorOf(pgErr)
	if mapped == nil {
		return err // not the client's doing: a 500, logged by the web layer
	}
	level := slog.LevelDebug
	if mapped.Message == genericInvalid || mapped.Message == genericConflict {
		level = slog.LevelInfo // a constraint without a name of ours: a validation is missing
	}
	slog.Log(context.Background(), level, "postgres error mapped", "code", mapped.Code,
		"sqlstate", pgErr.Code, "constraint", pgErr.ConstraintName, "table", pgErr.TableName,
		"pg_message", pgErr.Message)
	return mapped
}

const (
	genericInvalid  = "invalid value"
	genericConflict = "already exists"
)

// pgErrorOf returns the coded error for a PostgreSQL error the client
// caused, nil for any other.
func pgErrorOf(pgErr *pgconn.PgError) *models.Error {
	switch { // SQLSTATE codes: unique, foreign key, check, not null, data exceptions, connection
	case pgErr.Code == "23505":
		return uniqueError(pgErr.ConstraintName)
	case pgErr.Code == "23503":
		return models.Errorf(models.ECONFLICT, "still referenced by other records, or refers to a missing one")
	case pgErr.Code == "23514":
		return fieldOrGeneric(checkField(pgErr.ConstraintName, pgErr.TableName), "invalid value for %s", genericInvalid)
	case pgErr.Code == "23502":
		return fieldOrGeneric(models.CamelCase(pgErr.ColumnName), "%s is required", genericInvalid)
	case strings.HasPrefix(pgErr.Code, "22"): // data exceptions
		return &models.Error{Code: models.EINVALID, Message: dataExceptions.of(pgErr.Code)}
	case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"),
		pgErr.Code == "53300":
		return &models.Error{Code: models.EUNAVAILABLE, Message: "database unavailable"}
	}
	return nil
}

// uniqueFields names the input field behind each unique index; an index
// that is not here (one the engine resolves itself, or a random key that
// collided) answers the generic "already exists".
var uniqueFields = map[string]string{
	"user_groups_root_name":               "group",
	"users_username":                      "username",
	"users_email":                         "email",
	"error_codes_profile_code":            "code",
	"machines_hostname":                   "hostname",
	"machines_hostname_tenant":            "hostname",
	"vouchers_tenant_code":                "code",
	"logs_machine_remote":                 "remote",
	"revenue_transactions_machine_remote": "remote",
	"translations_key":                    "key",
	"products_plu":                        "plu",
}

func uniqueError(constraint string) *models.Error {
	field, ok := uniqueFields[constraint]
	if !ok {
		return &models.Error{Code: models.ECONFLICT, Message: genericConflict}
	}
	return &models.Error{Code: models.ECONFLICT, Message: genericConflict + ": " + field,
		Fields: map[string]string{field: genericConflict}}
}

// checkField returns the input field of a column check constraint.
// PostgreSQL names the check of a column <table>_<column>_check, and the
// API's field names are the columns' camelCase, so the convention gives the
// field without a table to keep in step with the migrations. A check over
// several columns has no field: "".
func checkField(constraint, table string) string {
	col, ok := strings.CutPrefix(constraint, table+"_")
	if col, ok = strings.CutSuffix(col, "_check"); !ok || table == "" || col == "" {
		return ""
	}
	return models.CamelCase(col)
}

// fieldOrGeneric returns an EINVALID error naming field with the message
// format, or the generic message when there is no field.
func fieldOrGeneric(field, format, generic string) *models.Error {
	if field == "" {
		return &models.Error{Code: models.EINVALID, Message: generic}
	}
	msg := fmt.Sprintf(format, field)
	return &models.Error{Code: models.EINVALID, Message: msg, Fields: map[string]string{field: msg}}
}

// dataTexts are our words for PostgreSQL's data exceptions (class 22):
// values that have the wrong type, size or encoding for their column, most
// often in a list filter.
type dataTexts map[string]string

var dataExceptions = dataTexts{ // SQLSTATE → text
	"22001": "invalid value: a text is too long",
	"22003": "invalid value: a number is out of range",
	"22P02": "invalid value: a value does not have the field's type (number, boolean, date…)",
	"22007": "invalid value: not a date or time such as 2026-01-31T12:00:00Z",
	"22008": "invalid value: not a date or time such as 2026-01-31T12:00:00Z",
	"22021": "invalid value: text must be UTF-8 without NUL characters",
	"22P05": "invalid value: text must be UTF-8 without NUL characters",
	"22025": "invalid value: a like pattern ends in a backslash or escapes wrongly",
}

func (d dataTexts) of(code string) string {
	if msg, ok := d[code]; ok {
		return msg
	}
	return genericInvalid
}

func isConnError(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "bad connection") ||
		strings.Contains(msg, "driver: bad connection") || strings.Contains(msg, "conn closed") ||
		strings.Contains(msg, "database is closed")
}

// MapError is mapError for the other store packages.
func MapError(err error) error { return mapError(err) }
