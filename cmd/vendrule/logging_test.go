package main

import (
	"bytes"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the flusher and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestBufferedLogFlushes(t *testing.T) {
	var out syncBuffer
	b := newBufferedLog(&out)
	if _, err := b.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	b.flush() // as the ticker does every flushEvery
	if out.String() != "one\n" {
		t.Fatalf("after a flush: %q", out.String())
	}
	if _, err := b.Write([]byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil || out.String() != "one\ntwo\n" {
		t.Fatalf("after Close: %q, %v", out.String(), err)
	}
}
