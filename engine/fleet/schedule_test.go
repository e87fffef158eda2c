package fleet

import (
	"testing"
	"time"
)

func TestScheduleAddAndBetween(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, ams)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	every := func(start, end string) []OpeningHour {
		var hs []OpeningHour
		for d := 1; d <= 7; d++ {
			hs = append(hs, OpeningHour{Day: d, StartTime: start, EndTime: end})
		}
		return hs
	}
	office := every("08:00:00", "18:00:00")
	night := []OpeningHour{ // Friday 22:00 to Saturday 02:00, across midnight
		{Day: 5, StartTime: "22:00:00", EndTime: "00:00:00"}, {Day: 6, StartTime: "00:00:00", EndTime: "02:00:00"}}
	allDay := every("00:00:00", "00:00:00")
	tests := []struct {
		name  string
		hours []OpeningHour
		from  time.Time
		add   time.Duration
		want  time.Time
	}{
		{"always open", nil, at("2024-03-12 17:00:00"), 2 * time.Hour, at("2024-03-12 19:00:00")},
		{"within a day", office, at("2024-03-12 09:00:00"), 2 * time.Hour, at("2024-03-12 11:00:00")},
		{"over the night", office, at("2024-03-12 17:00:00"), 2 * time.Hour, at("2024-03-13 09:00:00")},
		{"from a closed time", office, at("2024-03-12 20:00:00"), time.Hour, at("2024-03-13 09:00:00")},
		{"exactly to closing", office, at("2024-03-12 17:00:00"), time.Hour, at("2024-03-12 18:00:00")},
		{"across midnight", night, at("2024-03-15 23:00:00"), 2 * time.Hour, at("2024-03-16 01:00:00")},
		{"days without hours", night, at("2024-03-16 01:00:00"), 2 * time.Hour, at("2024-03-22 23:00:00")},
		// 31 March 2024: clocks go from 02:00 to 03:00 in Amsterdam; the day has 23 hours.
		{"spring forward", allDay, at("2024-03-31 01:00:00"), 2 * time.Hour, at("2024-03-31 04:00:00")},
		{"spring forward office", office, at("2024-03-30 17:00:00"), 2 * time.Hour, at("2024-03-31 09:00:00")},
		// 27 October 2024: clocks go from 03:00 back to 02:00; the day has 25 hours.
		{"fall back", allDay, at("2024-10-27 01:00:00"), 3 * time.Hour, at("2024-10-27 03:00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Hours: tt.hours, Loc: ams}
			got := s.Add(tt.from, tt.add)
			if !got.Equal(tt.want) {
				t.Errorf("Add = %v, want %v", got.In(ams), tt.want)
			}
			if b := s.Between(tt.from, got); b != tt.add {
				t.Errorf("Between = %v, want %v", b, tt.add)
			}
			if back := s.Sub(got, tt.add); s.Between(back, got) != tt.add || back.After(got) {
				t.Errorf("Sub = %v (from %v)", back.In(ams), tt.from.In(ams))
			}
		})
	}
}
