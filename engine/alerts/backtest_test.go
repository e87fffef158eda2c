package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

// TestBacktestJudgesHistoryAsHistory replays January for machines whose
// rows (and the observer) were made in March, after their history had been
// uploaded as a backlog: the silences of January count all the same, from
// the period's start or the machine's first stored item, whichever is
// later, and never from the creation of a row.
func TestBacktestJudgesHistoryAsHistory(t *testing.T) {
	f := newFixture(t) // the clock stands at t0, in March
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(d, h int) time.Time { return jan.AddDate(0, 0, d-1).Add(time.Duration(h) * time.Hour) }
	var sales []time.Time // every 12 hours from 5 January, except 9 January 12:00 to 12 January 00:00
	for at := day(5, 0); at.Before(day(32, 0)); at = at.Add(12 * time.Hour) {
		if at.After(day(9, 12)) && at.Before(day(12, 0)) {
			continue
		}
		sales = append(sales, at)
	}
	late := f.machine(t0)    // first stored item: its first sale, after the period's start
	early := f.machine(t0)   // first stored item: an event in December, before the period
	unknown := f.machine(t0) // nothing stored: it did not exist in January
	f.sales(late, "cash", sales...)
	f.events(early, "DOOR", day(-10, 0))
	f.sales(early, "cash", sales...)
	o := models.AlertObserver{Name: "no sales", Type: "transaction", Observer: models.NonOccurrence, Timer: 1,
		TimerType: models.TimerDays}
	o.ID = f.observer(o)
	o.UserGroup, o.CreatedAt, o.Machines = f.group, t0, models.IDList{}

	got, err := f.engine.Backtest(context.Background(), f.scope(), o, jan, day(32, 0))
	if err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, a := range got {
		alerts = append(alerts, fmt.Sprintf("m%d %s %s..%s", a.Machine, a.Status, ts(a.StartedAt), end2(a.ResolvedAt)))
	}
	wants := []string{
		fmt.Sprintf("m%d resolved %s..%s", early, ts(day(2, 0)), ts(day(5, 0))),
		fmt.Sprintf("m%d resolved %s..%s", late, ts(day(10, 12)), ts(day(12, 0))),
		fmt.Sprintf("m%d resolved %s..%s", early, ts(day(10, 12)), ts(day(12, 0))),
	}
	if fmt.Sprint(alerts) != fmt.Sprint(wants) {
		t.Errorf("backtest of January:\n got %v\nwant %v (nothing for m%d)", alerts, wants, unknown)
	}
}
