package models

import (
	"encoding/json"
	"time"
)

// Alert statuses.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Alert is an alert raised by an observer on one machine. At most one alert
// per (observer, machine) is firing at a time. Notified is false for
// alerts that lay wholly in the past when the data showing them arrived:
// they are history and were never sent.
type Alert struct {
	Base
	Observer       int64      `json:"observer"`
	Machine        int64      `json:"machine"`
	Status         string     `json:"status"`
	StartedAt      time.Time  `json:"startedAt"`
	ResolvedAt     *time.Time `json:"resolvedAt"`
	LastNotifiedAt *time.Time `json:"lastNotifiedAt"`
	Count          int64      `json:"count"`
	LastItemKind   *string    `json:"-"`
	LastItem       *int64     `json:"-"`
	Notified       bool       `json:"notified"`
}

// AlertItem names the last item that counted towards an alert: an event
// (kind "event", a log id) or a sale (kind "transaction").
type AlertItem struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

// MarshalJSON writes the last item as {"kind", "id"} or null.
func (a Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	out := struct {
		plain
		LastItem *AlertItem `json:"lastItem"`
	}{plain: plain(a)}
	if a.LastItemKind != nil && a.LastItem != nil {
		out.LastItem = &AlertItem{Kind: *a.LastItemKind, ID: *a.LastItem}
	}
	return json.Marshal(out)
}
