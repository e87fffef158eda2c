package ingest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vendrule/vendrule/models"
	"github.com/vendrule/vendrule/models/pg"
)

// Limits of the summaries.
const (
	// MaxSummaryDays is the longest period of one summary, so that one
	// request reads at most a year of a tenant's items.
	MaxSummaryDays = 366
	// DefaultSummaryDays is the period of a summary that names none: the
	// last 30 days, today included.
	DefaultSummaryDays = 30
	// DefaultEventSummaryLimit and MaxEventSummaryLimit bound the rows of
	// an event summary (as the seed: 10 by default, at most 30).
	DefaultEventSummaryLimit = 10
	MaxEventSummaryLimit     = 30
)

// dateLayout is the form of summary dates: a calendar day.
const dateLayout = "2006-01-02"

// SummaryQuery selects the items a summary counts. StartDate and EndDate
// are calendar days (YYYY-MM-DD), both included, read in the time zone of
// each item's location; both empty means the last DefaultSummaryDays.
// Machines and Locations narrow it (empty = all the caller sees).
type SummaryQuery struct {
	StartDate string
	EndDate   string
	Machines  []int64
	Locations []int64
	Limit     int // event summaries only; 0 = DefaultEventSummaryLimit
}

// period is a validated summary period: whole days, both included.
type period struct{ start, end time.Time }

// period validates q's dates against now (for the default) and returns
// them. Returns EINVALID naming the field.
func (q SummaryQuery) period(now time.Time) (period, error) {
	if q.StartDate == "" && q.EndDate == "" {
		end := now.UTC().Truncate(24 * time.Hour)
		return period{end.AddDate(0, 0, 1-DefaultSummaryDays), end}, nil
	}
	start, err := parseDate("startDate", q.StartDate)
	if err != nil {
		return period{}, err
	}
	end, err := parseDate("endDate", q.EndDate)
	switch {
	case err != nil:
		return period{}, err
	case end.Before(start):
		return period{}, models.FieldError("endDate", "must not be before startDate")
	case end.Sub(start) >= MaxSummaryDays*24*time.Hour:
		return period{}, models.FieldError("endDate", "a summary covers at most %d days", MaxSummaryDays)
	}
	return period{start, end}, nil
}

// parseDate reads a required calendar day.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, models.FieldError(field, "is required (YYYY-MM-DD) when the other date is given")
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, models.FieldError(field, "must be a date such as 2024-03-01")
	}
	return t, nil
}

// check validates the ids and the limit.
func (q *SummaryQuery) check() error {
	for _, ids := range []struct {
		field string
		ids   []int64
	}{{"machines", q.Machines}, {"locations", q.Locations}} {
		for _, id := range ids.ids {
			if id <= 0 {
				return models.FieldError(ids.field, "must be positive ids")
			}
		}
	}
	if q.Limit == 0 {
		q.Limit = DefaultEventSummaryLimit
	}
	if q.Limit < 1 || q.Limit > MaxEventSummaryLimit {
		return models.FieldError("limit", "must be 1 to %d", MaxEventSummaryLimit)
	}
	return nil
}

// summaryWhere is the filter both summaries share over items "t" joined to
// their location "loc". The machines are looked up first, so that the items
// are read through (machine, occurred_at) per machine; the UTC bounds keep
// that range scan to the period with a day's margin each way (no time zone
// is a day from UTC), and the local date then decides exactly. Tenant
// scoped twice: the machines and the items must both be the caller's.
func summaryWhere(q SummaryQuery) string {
	var b strings.Builder
	b.WriteString(`t.machine IN (SELECT m.id FROM machines m WHERE m.user_group = ANY(CAST(@groups AS bigint[]))`)
	if len(q.Machines) > 0 {
		b.WriteString(` AND m.id = ANY(CAST(@machines AS bigint[]))`)
	}
	b.WriteString(`)
	AND t.user_group = ANY(CAST(@groups AS bigint[]))
	AND t.occurred_at >= @lo AND t.occurred_at < @hi
	AND (t.occurred_at AT TIME ZONE loc.time_zone)::date BETWEEN CAST(@first_day AS date) AND CAST(@last_day AS date)`)
	if len(q.Locations) > 0 {
		b.WriteString(`
	AND t.location = ANY(CAST(@locations AS bigint[]))`)
	}
	return b.String()
}

// summaryArgs returns the named arguments of summaryWhere.
func summaryArgs(sc models.Scope, q SummaryQuery, p period) map[string]any {
	return map[string]any{
		"groups":    models.IDList(sc.Groups),
		"machines":  models.IDList(q.Machines),
		"locations": models.IDList(q.Locations),
		"lo":        p.start.AddDate(0, 0, -1),
		"hi":        p.end.AddDate(0, 0, 2),
		"first_day": p.start.Format(dateLayout),
		"last_day":  p.end.Format(dateLayout),
		"limit":     q.Limit,
	}
}

// prepare validates q and returns its period and arguments.
func (s *Service) prepare(sc models.Scope, q *SummaryQuery) (map[string]any, error) {
	p, err := q.period(s.now())
	if err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	return summaryArgs(sc, *q, p), nil
}

// now is the service's clock.
func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// EventCount is one row of an event summary (the seed's shape): how many
// events of a code, with its error identity's name ("error", the code when
// the code is not mapped) and the identity itself.
type EventCount struct {
	Code          string `json:"code"`
	Error         string `json:"error"`
	ErrorIdentity *int64 `json:"errorIdentity"`
	Summary       int64  `json:"summary"`
}

// EventSummary counts the events of q's period by code, most frequent
// first, at most q.Limit rows. Returns EINVALID for a bad period, id or
// limit.
func (s *Service) EventSummary(ctx context.Context, sc models.Scope, q SummaryQuery) ([]EventCount, error) {
	args, err := s.prepare(sc, &q)
	if err != nil {
		return nil, err
	}
	out := []EventCount{}
	err = s.DB.WithContext(ctx).Raw(`SELECT t.code, COALESCE(ei.error, t.code) AS error,
	t.error_identity, count(*) AS summary
FROM logs t
JOIN locations loc ON loc.id = t.location
LEFT JOIN error_identities ei ON ei.id = t.error_identity
WHERE `+summaryWhere(q)+`
GROUP BY t.code, t.error_identity, ei.error
ORDER BY summary DESC, t.code, t.error_identity
LIMIT @limit`, args).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("event summary: %w", pg.MapError(err))
	}
	return out, nil
}

// RevenueDay is the revenue of one currency on one day (the seed's shape).
// vendrule converts no currencies: CurrencyRate is 1 and OrginalValue (the
// seed's spelling) equals Value, the sum of the sales' prices in cents.
// Count, the number of sales, is ours.
type RevenueDay struct {
	Currency     string  `json:"currency"`
	CurrencyRate float64 `json:"currencyRate"`
	Date         string  `json:"date"`
	OrginalValue int64   `json:"orginalValue"`
	Value        int64   `json:"value"`
	Count        int64   `json:"count"`
}

// RevenueSummary sums the sales of q's period per currency and local day,
// in day order; days without sales are left out. Returns EINVALID for a
// bad period or id.
func (s *Service) RevenueSummary(ctx context.Context, sc models.Scope, q SummaryQuery) (map[string][]RevenueDay, error) {
	args, err := s.prepare(sc, &q)
	if err != nil {
		return nil, err
	}
	var rows []RevenueDay
	err = s.DB.WithContext(ctx).Raw(`SELECT t.currency,
	to_char((t.occurred_at AT TIME ZONE loc.time_zone)::date, 'YYYY-MM-DD') AS date,
	sum(t.price)::bigint AS value, count(*) AS count
FROM revenue_transactions t
JOIN locations loc ON loc.id = t.location
WHERE `+summaryWhere(q)+`
GROUP BY 1, 2
ORDER BY 1, 2`, args).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("revenue summary: %w", pg.MapError(err))
	}
	out := map[string][]RevenueDay{}
	for _, r := range rows {
		r.CurrencyRate, r.OrginalValue = 1, r.Value
		out[r.Currency] = append(out[r.Currency], r)
	}
	return out, nil
}
