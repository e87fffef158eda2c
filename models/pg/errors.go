package pg

import (
	"context"
	"errors"
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

func mapPgError(pgErr *pgconn.PgError, err error) error {
	switch {
	case pgErr.Code == "23505":
		return models.Errorf(models.ECONFLICT, "already exists: %s", conflictSubject(pgErr))
	case pgErr.Code == "23503":
		return models.Errorf(models.ECONFLICT, "still referenced by other records, or refers to a missing one")
	case pgErr.Code == "23514", pgErr.Code == "23502":
		return models.Errorf(models.EINVALID, "invalid value: %s", pgErr.Message)
	case strings.HasPrefix(pgErr.Code, "22"):
		return models.Errorf(models.EINVALID, "invalid value: %s", pgErr.Message)
	case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"),
		pgErr.Code == "53300":
		return &models.Error{Code: models.EUNAVAILABLE, Message: "database unavailable"}
	}
	return err
}

// conflictSubject names what clashed, from a detail such as
// "Key (hostname)=(m1) already exists.".
func conflictSubject(pgErr *pgconn.PgError) string {
	if _, rest, ok := strings.Cut(pgErr.Detail, "Key ("); ok {
		if col, _, ok := strings.Cut(rest, ")"); ok {
			return strings.TrimPrefix(strings.TrimSuffix(col, ")"), "lower(")
		}
	}
	return pgErr.ConstraintName
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
