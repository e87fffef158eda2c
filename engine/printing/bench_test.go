package printing

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCampaignSheet renders the sheet of a campaign of 1000 and of
// 10 000 vouchers, streamed to io.Discard, and reports the peak heap seen
// while it runs (sampled every millisecond) beside the allocations: the peak
// should not grow with the count.
func BenchmarkCampaignSheet(b *testing.B) {
	logo, err := DecodeLogo(testLogo(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("vouchers=%d", n), func(b *testing.B) {
			runtime.GC()
			b.ReportAllocs()
			peak := watchHeap()
			for b.Loop() {
				if _, err := Render(io.Discard, logo, testVouchers(n)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		})
	}
}

// watchHeap samples the heap in use until the returned function is called,
// which returns the largest sample.
func watchHeap() func() uint64 {
	var max atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > max.Load() {
				max.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return max.Load()
	}
}

// BenchmarkCampaignSheetStored measures a campaign sheet of 10 000 vouchers
// the way the service makes it: the job reads the vouchers from PostgreSQL,
// renders and streams the PDF into 1 MiB chunks and publishes it.
func BenchmarkCampaignSheetStored(b *testing.B) {
	f := newJobFixture(b, 10_000)
	f.s.ChunkSize = 1 << 20
	ctx := context.Background()
	o, err := f.s.CampaignOwner(ctx, f.sc, f.campaign)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	peak := watchHeap()
	for b.Loop() {
		if _, err := f.s.Request(ctx, o); err != nil {
			b.Fatal(err)
		}
		f.exec(`UPDATE pdfs SET status = 'generating' WHERE campaign = ?`, f.campaign) // a new sheet each round
		if err := f.s.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
	if st := f.status(o); st != StatusReady {
		b.Fatalf("status %s", st)
	}
}
