package alerts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func TestOpeningHoursAcrossTheNight(t *testing.T) {
	f := newFixture(t)
	m := f.machine(t0.Add(-48 * time.Hour))
	var hours []string
	for d := 1; d <= 7; d++ {
		hours = append(hours, fmt.Sprintf(`{"day": %d, "startTime": "08:00:00", "endTime": "18:00:00"}`, d))
	}
	f.must(f.db.Exec(`INSERT INTO opening_hour_sets (resource, resource_id, user_group, hours, set_at)
		VALUES ('machine', ?, ?, ?::jsonb, ?)`, m, f.group, "["+strings.Join(hours, ",")+"]", t0.Add(-time.Hour)).Error)
	last := time.Date(2024, 3, 12, 16, 0, 0, 0, time.UTC) // 17:00 in Amsterdam, one hour before closing
	f.clock.Set(last)
	obs := f.observer(models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 2,
		TimerType: models.TimerHours, OpeningHours: true})
	f.tick()
	f.sales(m, "cash", last)
	// Open again at 08:00 (07:00 UTC): the second hour ends at 09:00 local.
	f.tickAt(time.Date(2024, 3, 13, 7, 59, 59, 0, time.UTC))
	want(t, f.alerts(obs))
	f.tickAt(time.Date(2024, 3, 13, 8, 0, 0, 0, time.UTC))
	want(t, f.alerts(obs), fmt.Sprintf("{m%d firing %s..- n=0 notified=true}", m, "2024-03-13T08:00:00Z"))
}

// TestBacktestEqualsLive feeds timely sales and ticks every minute, then
// replays the same period with Backtest: the alerts must be the same.
func TestBacktestEqualsLive(t *testing.T) {
	f := newFixture(t)
	m1, m2 := f.machine(t0.Add(-time.Hour)), f.machine(t0.Add(-time.Hour))
	bursty := models.AlertObserver{Type: "transaction", Observer: models.Occurrence, Occurs: 3, Timer: 5,
		TimerType: models.TimerMinutes, PaymentMethod: ptr("cash")}
	quiet := models.AlertObserver{Type: "transaction", Observer: models.NonOccurrence, Timer: 30,
		TimerType: models.TimerMinutes}
	ids := []int64{f.observer(bursty), f.observer(quiet)}
	sales := map[int]int64{5: m1, 12: m1, 13: m1, 14: m2, 15: m1, 40: m2, 95: m1, 96: m1, 97: m1, 98: m1, 99: m2, 170: m1}
	const minutes = 180
	for i := 0; i <= minutes; i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		f.clock.Set(now)
		if m, ok := sales[i]; ok {
			f.sales(m, "cash", now)
		}
		f.tick()
	}
	end := t0.Add(minutes * time.Minute)
	for i, id := range ids {
		var o models.AlertObserver
		f.must(f.db.Table("alert_observers").Where("id = ?", id).Take(&o).Error)
		got, err := f.engine.Backtest(context.Background(), f.scope(), o, t0, end)
		if err != nil {
			t.Fatal(err)
		}
		var live, replayed []string
		for _, a := range f.alerts(id) {
			live = append(live, fmt.Sprintf("m%d %s %s %v %d", a.Machine, a.Status, ts(a.StartedAt), end2(a.ResolvedAt), a.Count))
		}
		for _, a := range got {
			replayed = append(replayed, fmt.Sprintf("m%d %s %s %v %d", a.Machine, a.Status, ts(a.StartedAt), end2(a.ResolvedAt), a.Count))
		}
		if strings.Join(live, "\n") != strings.Join(replayed, "\n") || len(live) == 0 {
			t.Errorf("observer %d:\nlive:\n%s\nbacktest:\n%s", i, strings.Join(live, "\n"), strings.Join(replayed, "\n"))
		}
	}
}

func end2(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}
