package rules

import "sync"

// cacheSize bounds the number of compiled programs kept.
const cacheSize = 10_000

// cacheKey identifies a compiled program.
type cacheKey struct {
	kind Kind
	src  string
}

// programCache maps (kind, source) to compiled programs. When full it drops
// an arbitrary entry, which is enough for a cache that is meant to hold every
// live rule anyway.
type programCache struct {
	mu  sync.RWMutex
	m   map[cacheKey]*Program
	max int
}

var cache = &programCache{m: make(map[cacheKey]*Program), max: cacheSize}

// get returns the cached program for key.
func (c *programCache) get(key cacheKey) (*Program, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.m[key]
	return p, ok
}

// add stores p under key and returns the program now cached, which is an
// earlier one if another goroutine compiled the same source first.
func (c *programCache) add(key cacheKey, p *Program) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		return old
	}
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = p
	return p
}

// len returns the number of cached programs.
func (c *programCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
