package alerts

import (
	"testing"
	"time"
)

func TestEvalWindowEdges(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	occ := Rule{Kind: "occurrence", Window: 10 * time.Minute, Occurs: 2}
	for _, tt := range []struct {
		name string
		gap  time.Duration
		fire bool
	}{{"one second before the timer", 10*time.Minute - time.Second, true}, {"exactly the timer", 10 * time.Minute, false}} {
		t.Run(tt.name, func(t *testing.T) {
			st := &State{}
			ev := &Eval{Rule: occ, State: st, Now: base.Add(tt.gap)}
			ev.Apply(Input{At: base, Item: 1, Kind: "event"})
			ev.Apply(Input{At: base.Add(tt.gap), Item: 2, Kind: "event"})
			if st.Alert.Firing() != tt.fire {
				t.Errorf("firing = %v, want %v", st.Alert.Firing(), tt.fire)
			}
		})
	}
}
