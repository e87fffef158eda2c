package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/vendrule/vendrule/models"
)

// PostgreSQL cannot store NUL in text nor invalid UTF-8 anywhere. Such input
// is refused here, at the edge, so that it never reaches a statement shared
// with other requests (the device hot path groups the requests of all
// tenants), where it would fail them all.

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// checkDecoded returns EINVALID naming the first string field of v (a
// decoded request body) that holds a NUL character. Invalid UTF-8 cannot
// occur: decodeBytes refuses such bodies before decoding.
func checkDecoded(v any) error {
	return checkValue(reflect.ValueOf(v), "")
}

func checkValue(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValue(v.Elem(), path)
	case reflect.String:
		return models.CheckText(fieldName(path), v.String(), 0)
	case reflect.Struct:
		return checkStruct(v, path)
	case reflect.Slice:
		if v.Type() == rawMessageType {
			return checkRaw(v.Bytes(), path)
		}
		fallthrough
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := checkValue(v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			key := path + "." + it.Key().String()
			if err := checkValue(it.Key(), key); err != nil {
				return err
			}
			if err := checkValue(it.Value(), key); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkStruct(v reflect.Value, path string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sub := path + "." + name
		if f.Anonymous {
			sub = path
		}
		if err := checkValue(v.Field(i), sub); err != nil {
			return err
		}
	}
	return nil
}

// checkRaw looks into JSON kept as it is, only when it may hold a NUL.
func checkRaw(raw []byte, path string) error {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil // not ours to judge: the field's own decoding reports it
	}
	return checkValue(reflect.ValueOf(v), path)
}

func fieldName(path string) string {
	if name := strings.TrimPrefix(path, "."); name != "" {
		return name
	}
	return "body"
}

// checkURLText refuses path parameters and query values that PostgreSQL
// cannot store, before any handler sees them.
func checkURLText() gin.HandlerFunc {
	return func(c *gin.Context) {
		for _, p := range c.Params {
			if err := models.CheckText(p.Key, p.Value, 0); err != nil {
				fail(c, err)
				return
			}
		}
		if c.Request.URL.RawQuery == "" { // the device routes: nothing to parse
			c.Next()
			return
		}
		for k, vs := range c.Request.URL.Query() {
			for _, v := range append(vs, k) {
				if err := models.CheckText(k, v, 0); err != nil {
					fail(c, err)
					return
				}
			}
		}
		c.Next()
	}
}
