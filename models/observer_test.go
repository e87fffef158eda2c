package models_test

import (
	"testing"
	"time"

	"github.com/vendrule/vendrule/models"
)

func TestWindow(t *testing.T) {
	tests := []struct {
		name      string
		timer     int64
		timerType int64
		want      time.Duration
	}{
		{"minutes", 15, models.TimerMinutes, 15 * time.Minute},
		{"hours", 2, models.TimerHours, 2 * time.Hour},
		{"days", 3, models.TimerDays, 72 * time.Hour},
		{"weeks", 1, models.TimerWeeks, 7 * 24 * time.Hour},
		{"zero timer", 0, models.TimerHours, 0},
		{"negative timer", -1, models.TimerMinutes, 0},
		{"unknown unit", 5, 0, 0},
		{"unknown unit 5", 5, 5, 0},
		{"overflow saturates", 1 << 62, models.TimerWeeks, time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.Window(tt.timer, tt.timerType); got != tt.want {
				t.Errorf("Window(%d, %d) = %v, want %v", tt.timer, tt.timerType, got, tt.want)
			}
		})
	}
}
