// Package web is vendrule's HTTP layer: the gin router, request decoding, the
// one table from error codes to statuses, and thin handlers over the engine.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/models"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	models.EINVALID:      http.StatusBadRequest,
	models.EUNAUTHORIZED: http.StatusUnauthorized,
	models.EFORBIDDEN:    http.StatusForbidden,
	models.ENOTFOUND:     http.StatusNotFound,
	models.ECONFLICT:     http.StatusConflict,
	models.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	models.EEXPRESSION:   http.StatusUnprocessableEntity,
	models.ERATELIMITED:  http.StatusTooManyRequests,
	models.EINTERNAL:     http.StatusInternalServerError,
	models.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Message string            `json:"message"`
	Code    string            `json:"code"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// fail answers err with its status and the error envelope. Only internal
// errors are logged; their details never reach the client.
func fail(c *gin.Context, err error) {
	code := models.CodeOf(err)
	status, ok := statusOf[code]
	if !ok {
		status, code = http.StatusInternalServerError, models.EINTERNAL
	}
	if status >= 500 {
		slog.ErrorContext(c.Request.Context(), "request failed", "err", err,
			"request_id", c.GetString(requestIDKey), "path", c.Request.URL.Path)
	}
	body := ErrorBody{Message: models.MessageOf(err), Code: code}
	var coded *models.Error
	if errors.As(err, &coded) {
		body.Fields = coded.Fields
		if coded.RetryAfter > 0 { // whole seconds, rounded up
			c.Header("Retry-After", strconv.FormatInt(int64((coded.RetryAfter+time.Second-1)/time.Second), 10))
		}
	}
	c.AbortWithStatusJSON(status, body)
}
