package notify_test

import (
	"fmt"
	"testing"
)

// BenchmarkDrain10000 drains 10 000 pending messages to the loopback SMTP
// server, with one and with four concurrent sessions. Run it with
//
//	scripts/test ./notify/ -run '^$' -bench Drain -benchtime 1x
func BenchmarkDrain10000(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e := newEnv(b)
			e.d.Workers = workers
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e.enqueueN(10000)
				b.StartTimer()
				e.drain()
			}
			b.StopTimer()
			if s := e.statuses(); s["sent"] != 10000*b.N {
				b.Fatalf("statuses %v", s)
			}
			b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
