package dav

import "sync"

// lockBodies remembers the parse of small LOCK bodies. A client sends the
// same body with every LOCK (its scope, type and owner do not change), and
// decoding it with encoding/xml was a sixth of a LOCK's own CPU.
var lockBodies = &lockInfoCache{}

// lockInfoCache maps a LOCK body of at most maxCachedBody bytes, with the
// owner limit it was checked against, to its parse, as bodyCache does for
// PROPFIND: at most maxCachedBodies entries, starting over when full, so a
// client sending ever new bodies costs bounded memory; only successful
// parses are kept. Safe for concurrent use. The lockInfo it returns is
// shared: its owner and ownerNS must not be modified (the stores copy or
// only read them).
type lockInfoCache struct {
	mu sync.RWMutex // guards m
	m  map[lockBodyKey]*lockInfo
}

// lockBodyKey is what a parse depends on: the body and the owner limit.
type lockBodyKey struct {
	body     string
	maxOwner int64
}

// parse is parseLockInfo(body, maxOwner), from the cache when it has seen
// the same body with the same limit.
func (c *lockInfoCache) parse(body []byte, maxOwner int64) (*lockInfo, error) {
	if len(body) > maxCachedBody {
		return parseLockInfo(body, maxOwner)
	}
	c.mu.RLock()
	info, ok := c.m[lockBodyKey{string(body), maxOwner}]
	c.mu.RUnlock()
	if ok {
		return info, nil
	}
	info, err := parseLockInfo(body, maxOwner)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedBodies || c.m == nil {
		c.m = make(map[lockBodyKey]*lockInfo)
	}
	c.m[lockBodyKey{string(body), maxOwner}] = info
	c.mu.Unlock()
	return info, nil
}
