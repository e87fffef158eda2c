// Package migrations holds vendrule's SQL schema as numbered goose files,
// embedded in the binary.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
