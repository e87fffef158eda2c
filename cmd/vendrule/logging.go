package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// flushEvery is how long a log line may wait in the buffer.
const flushEvery = 100 * time.Millisecond

// bufferedLog is the log's destination: lines are gathered in a buffer and
// written every flushEvery, instead of one write system call per line (the
// access log writes a line per request: at thousands of device requests a
// second that was ~4 % of the server's CPU). A crash of the process can so
// lose the last flushEvery of lines; Close writes what is left.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newBufferedLog(w io.Writer) *bufferedLog {
	b := &bufferedLog{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushLoop()
	return b
}

func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *bufferedLog) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

func (b *bufferedLog) flushLoop() {
	defer close(b.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.flush()
		case <-b.stop:
			b.flush()
			return
		}
	}
}

// Close writes the buffered lines and stops the flushing.
func (b *bufferedLog) Close() error {
	close(b.stop)
	<-b.done
	return nil
}
