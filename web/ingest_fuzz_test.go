package web

import (
	"errors"
	"fmt"
	"testing"

	"github.com/vendrule/vendrule/models"
)

// FuzzParseBatch feeds any body to the parsing and validation of an
// upload of events (/logs) and of sales (/revenuetransactions), as far as
// it goes without a database: parseBatch, then each item's own validation.
// It must never panic, must refuse with a coded error only, and must never
// accept more than models.MaxBatch items.
//
//	go test -run '^$' -fuzz '^FuzzParseBatch$' -fuzztime 5s ./web/
func FuzzParseBatch(f *testing.F) {
	for _, seed := range []string{
		`{"remote": 1, "code": "E42", "occurredAt": "2026-03-02T08:15:00Z"}`,
		`[{"remote": 1, "code": "E42", "occurredAt": "2026-03-02T08:15:00Z", "extraData": {"t": 9}}]`,
		`[{"remote": 2, "price": 250, "currency": "eur", "occurredAt": "2026-03-02T08:15:00+01:00",
			"payments": [{"method": "cash", "type": "coin", "price": 250}]}]`,
		`[]`, `[{}]`, `{"remote": -1}`, `[1, "a", null]`, `{"remote": 1e400}`, `[{"remote": 1}] trailing`,
		`{"remote": 1, "code": "` + string(make([]byte, 300)) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := parseBatch[models.EventInput](body)
		checkParsed(t, len(events), err)
		for i := range events {
			_, err := events[i].Event()
			requireCoded(t, err)
		}
		sales, err := parseBatch[models.TransactionInput](body)
		checkParsed(t, len(sales), err)
		for i := range sales {
			_, err := sales[i].Transaction()
			requireCoded(t, err)
		}
	})
}

// checkParsed checks the outcome of parseBatch.
func checkParsed(t *testing.T, n int, err error) {
	t.Helper()
	requireCoded(t, err)
	if n > models.MaxBatch {
		t.Fatalf("accepted %d items, more than %d", n, models.MaxBatch)
	}
}

// requireCoded fails unless err is nil or a *models.Error, which the error
// table answers with a 4xx rather than a 500.
func requireCoded(t *testing.T, err error) {
	t.Helper()
	var e *models.Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("uncoded error %v (%T)", err, err)
	}
	if e != nil && e.Code == models.EINTERNAL {
		t.Fatalf("internal error for a client's body: %s", fmt.Sprint(e))
	}
}
