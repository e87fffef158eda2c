package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/models"
)

// decode reads the JSON body strictly into v: the read-only fields v
// declares (models.ReadOnly) are dropped; unknown fields, wrong types,
// trailing data, malformed JSON, invalid UTF-8 and NUL characters in strings
// are EINVALID naming the field; a body over the limit is ETOOLARGE.
func decode(c *gin.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

// decodeBody is decode that also returns the body as sent, compacted, for
// the logs that keep requests.
func decodeBody(c *gin.Context, v any) ([]byte, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if err := decodeBytes(body, v); err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return nil, models.Errorf(models.EINVALID, "invalid JSON: %v", err)
	}
	return compact.Bytes(), nil
}

func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, models.Errorf(models.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return nil, models.Errorf(models.EINVALID, "cannot read request body")
	}
	return body, nil
}

func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return models.Errorf(models.EINVALID, "request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		// encoding/json would replace the bad bytes silently
		return models.Errorf(models.EINVALID, "request body is not valid UTF-8")
	}
	if ro, ok := v.(models.ReadOnly); ok {
		// the seed's read-only fields are accepted and never stored
		body = models.DropFields(body, ro.ReadOnlyFields())
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return models.Errorf(models.EINVALID, "request body holds more than one JSON value")
	}
	return checkDecoded(v)
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return models.Errorf(models.EINVALID, "request body must be a JSON %s, not %s", typeName(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return models.FieldError(field, "must be %s, not %s", typeName(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return models.Errorf(models.EINVALID, "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return models.Errorf(models.EINVALID, "malformed JSON: unexpected end of body")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return models.FieldError(field, "unknown field")
	}
	var coded *models.Error
	if errors.As(err, &coded) {
		return coded
	}
	return models.Errorf(models.EINVALID, "invalid JSON: %v", err)
}

func typeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of another type"
	}
	return fmt.Sprintf("a %s", kind)
}
