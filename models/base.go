package models

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Base holds the fields every tenant-owned resource has.
type Base struct {
	ID        int64     `json:"id" gorm:"primaryKey"`
	UserGroup int64     `json:"userGroup"`
	CreatedAt time.Time `json:"createdAt" gorm:"autoCreateTime"`
	UpdatedAt time.Time `json:"updatedAt" gorm:"autoUpdateTime"`
}

// Meta returns b itself, so that generic code can reach the common fields.
func (b *Base) Meta() *Base { return b }

// Ref is a reference from one resource to others of the same tenant, checked
// before a write so that nobody can point at another tenant's rows.
type Ref struct {
	Field string  // JSON field name
	Table string  // referenced table
	IDs   []int64 // referenced ids; an id that is not positive refers to nothing and is refused
}

// Entity is a tenant-owned resource that the generic CRUD code can store.
type Entity interface {
	Meta() *Base
	Validate() error
	Refs() []Ref
}

// IDList is a list of ids stored as a PostgreSQL bigint[].
type IDList []int64

// Value encodes the list as a PostgreSQL array literal.
func (l IDList) Value() (driver.Value, error) { return l.Literal(), nil }

// Literal writes l as a PostgreSQL array literal such as {1,2,3}.
func (l IDList) Literal() string {
	b := make([]byte, 0, 2+8*len(l))
	b = append(b, '{')
	for i, id := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}'))
}

// Scan decodes a PostgreSQL array literal such as {1,2,3}.
func (l *IDList) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*l = IDList{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("IDList: cannot scan %T", src)
	}
	s = strings.Trim(s, "{}")
	out := IDList{}
	if s != "" {
		for _, p := range strings.Split(s, ",") {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return fmt.Errorf("IDList: %w", err)
			}
			out = append(out, id)
		}
	}
	*l = out
	return nil
}

// GormDataType tells gorm the column type.
func (IDList) GormDataType() string { return "bigint[]" }

// IDs returns the non-nil ids among ps.
func IDs(ps ...*int64) []int64 {
	var out []int64
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// required returns an EINVALID error naming field when s is blank.
func required(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return FieldError(field, "is required")
	}
	return nil
}

// requiredID returns an EINVALID error naming field when id is not set.
func requiredID(field string, id int64) error {
	if id <= 0 {
		return FieldError(field, "is required")
	}
	return nil
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Defaulter is implemented by resources whose new values start from defaults
// other than Go's zero values.
type Defaulter interface {
	SetDefaults()
}
