package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/vendrule/vendrule/web/webtest"
)

type hour struct {
	Day       int    `json:"day"`
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
}

func TestOpeningHoursValidation(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("HoursVal", true)
	f := h.MakeFleet(a.AccessToken, "hv-")
	path := fmt.Sprintf("/api/v1/openinghours/location/%d", f.IDs["locations"])

	bad := map[string][]hour{
		"day 0":               {{0, "09:00:00", "17:00:00"}},
		"day 8":               {{8, "09:00:00", "17:00:00"}},
		"hour 25":             {{1, "09:00:00", "25:00:00"}},
		"hour 24":             {{1, "09:00:00", "24:00:00"}},
		"minute 60":           {{1, "09:60:00", "17:00:00"}},
		"short time":          {{1, "9:00", "17:00:00"}},
		"no seconds":          {{1, "09:00", "17:00"}},
		"empty time":          {{1, "", "17:00:00"}},
		"end before start":    {{1, "17:00:00", "09:00:00"}},
		"end equals start":    {{1, "09:00:00", "09:00:00"}},
		"overlap":             {{2, "09:00:00", "12:00:00"}, {2, "11:00:00", "14:00:00"}},
		"contained":           {{2, "09:00:00", "18:00:00"}, {2, "10:00:00", "11:00:00"}},
		"overlap to midnight": {{3, "20:00:00", "00:00:00"}, {3, "23:00:00", "23:30:00"}},
		"duplicate":           {{4, "09:00:00", "10:00:00"}, {4, "09:00:00", "10:00:00"}},
	}
	for name, hours := range bad {
		if r := h.Put(path, a.AccessToken, hours); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", name, r)
		} else {
			r.ExpectError(t, http.StatusBadRequest, "invalid")
		}
	}
	tooMany := make([]hour, 71)
	for i := range tooMany {
		tooMany[i] = hour{i%7 + 1, fmt.Sprintf("%02d:00:00", i/7), fmt.Sprintf("%02d:30:00", i/7)}
	}
	h.Put(path, a.AccessToken, tooMany).ExpectError(t, http.StatusBadRequest, "invalid")
	// Nothing was stored by the refused requests.
	h.Get(fmt.Sprintf("/api/v1/machines/%d/openinghours", f.IDs["machines"]), a.AccessToken).Expect(t, http.StatusOK)

	good := map[string][]hour{
		"midnight end": {{1, "18:00:00", "00:00:00"}},
		"whole day":    {{7, "00:00:00", "00:00:00"}},
		"none":         {},
		"touching":     {{2, "09:00:00", "12:00:00"}, {2, "12:00:00", "14:00:00"}},
		"split days":   {{5, "22:00:00", "00:00:00"}, {6, "00:00:00", "02:00:00"}},
		"same on days": {{1, "09:00:00", "17:00:00"}, {2, "09:00:00", "17:00:00"}},
		"seconds":      {{3, "09:15:30", "17:45:59"}},
		"last second":  {{3, "23:59:58", "23:59:59"}},
	}
	for name, hours := range good {
		if r := h.Put(path, a.AccessToken, hours); r.Status != http.StatusOK {
			t.Errorf("%s: %s, want 200", name, r)
		}
	}
	tooMany = tooMany[:70]
	h.Put(path, a.AccessToken, tooMany).Expect(t, http.StatusOK)
}

func machineHours(t *testing.T, h *webtest.Harness, token string, machine int64) ([]hour, string) {
	t.Helper()
	r := h.Get(fmt.Sprintf("/api/v1/machines/%d/openinghours", machine), token).Expect(t, http.StatusOK)
	var hs []hour
	r.Decode(t, &hs)
	if hs == nil {
		t.Errorf("hours are null, want a list: %s", r)
	}
	return hs, r.Header.Get("X-Opening-Hours-Source")
}

func TestOpeningHoursInheritance(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	a := h.NewTenant("Hours", true)
	f := h.MakeFleet(a.AccessToken, "hrs-")
	m, loc := f.IDs["machines"], f.IDs["locations"]
	// A second machine at the same location, in no group.
	m2 := h.MustCreate(a.AccessToken, "/api/v1/machines", map[string]any{"name": "m2", "hostname": "hrs-m2", "location": loc})
	// A third at another location.
	loc3 := h.MustCreate(a.AccessToken, "/api/v1/locations", webtest.LocationBody("elsewhere"))
	m3 := h.MustCreate(a.AccessToken, "/api/v1/machines", map[string]any{"name": "m3", "hostname": "hrs-m3", "location": loc3})

	hs, src := machineHours(t, h, a.AccessToken, m)
	if len(hs) != 0 || src != "none" {
		t.Fatalf("no hours set: %v from %q, want [] from none", hs, src)
	}

	set := func(resource string, id int64, hours []hour) {
		t.Helper()
		h.Clock.Advance(time.Second)
		h.Put(fmt.Sprintf("/api/v1/openinghours/%s/%d", resource, id), a.AccessToken, hours).Expect(t, http.StatusOK)
	}
	expect := func(machine int64, want []hour, wantSrc string) {
		t.Helper()
		hs, src := machineHours(t, h, a.AccessToken, machine)
		if !reflect.DeepEqual(hs, want) || src != wantSrc {
			t.Errorf("machine %d: %v from %q, want %v from %q", machine, hs, src, want, wantSrc)
		}
	}
	locHours := []hour{{1, "08:00:00", "18:00:00"}}
	machHours := []hour{{2, "10:00:00", "12:00:00"}, {3, "10:00:00", "12:00:00"}}
	locHours2 := []hour{{5, "06:00:00", "00:00:00"}}
	mgHours := []hour{{6, "09:00:00", "10:00:00"}}
	lgHours := []hour{{7, "11:00:00", "13:00:00"}}

	set("location", loc, locHours)
	expect(m, locHours, "location")
	expect(m2, locHours, "location")
	expect(m3, []hour{}, "none")

	set("machine", m, machHours)
	expect(m, machHours, "machine")
	expect(m2, locHours, "location")

	// Setting the parent again overrides the machine's own hours.
	set("location", loc, locHours2)
	expect(m, locHours2, "location")
	expect(m2, locHours2, "location")

	set("machinegroup", f.IDs["machinegroups"], mgHours)
	expect(m, mgHours, "machinegroup")
	expect(m2, locHours2, "location") // not in the group

	set("locationgroup", f.IDs["locationgroups"], lgHours)
	expect(m, lgHours, "locationgroup")
	expect(m2, lgHours, "locationgroup")
	expect(m3, []hour{}, "none")

	set("machine", m, machHours)
	expect(m, machHours, "machine")
	expect(m2, lgHours, "locationgroup")

	// A group the machine is not in has no say.
	other := h.MustCreate(a.AccessToken, "/api/v1/machinegroups", map[string]any{"name": "others", "machines": []int64{m3}})
	set("machinegroup", other, mgHours)
	expect(m, machHours, "machine")
	expect(m3, mgHours, "machinegroup")

	// Empty hours on a parent: the machine is always open, and says where
	// that comes from.
	set("location", loc, []hour{})
	expect(m, []hour{}, "location")

	// Hours are returned as stored, sorted or not.
	unsorted := []hour{{3, "14:00:00", "15:00:00"}, {1, "09:00:00", "10:00:00"}}
	set("machine", m2, unsorted)
	hs, _ = machineHours(t, h, a.AccessToken, m2)
	if len(hs) != 2 {
		t.Errorf("hours %v", hs)
	}
	// JSON null is "no hours": stored as an empty set.
	h.Clock.Advance(time.Second)
	h.Put(fmt.Sprintf("/api/v1/openinghours/machine/%d", m2), a.AccessToken, json.RawMessage("null")).Expect(t, http.StatusOK)
	expect(m2, []hour{}, "machine")
}
