package dav

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage"
)

// checkOwner refuses a LOCK's DAV:owner XML (RFC 4918 §14.17) that every
// later lock discovery could not echo safely: over max bytes once its
// namespace declarations are written out (a body declaring thousands of
// namespaces around a tiny owner would otherwise be stored and echoed
// whole), or not what PROPPATCH accepts in a property value (an XML
// declaration, a DOCTYPE, a forbidden character), which would make every
// PROPFIND of the locked tree malformed. Both are 400: this LOCK body is
// refused, the client may send a smaller or well-formed owner.
func checkOwner(owner []byte, ns map[string]string, max int64) error {
	size := int64(len(owner))
	for prefix, uri := range ns {
		size += int64(len(` xmlns:=""`) + len(prefix) + len(uri))
	}
	if size > max {
		return errorf(http.StatusBadRequest, "DAV:owner takes %d bytes with its namespaces, over the limit of %d", size, max)
	}
	key := fragmentKey(owner, ns)
	if fragmentsPassed.has(key) {
		return nil
	}
	if err := proppatch.CheckFragment(owner, ns); err != nil {
		return &Error{Status: http.StatusBadRequest, Err: fmt.Errorf("DAV:owner: %w", err)}
	}
	fragmentsPassed.add(key)
	return nil
}

// fragmentsPassed remembers owners that passed proppatch.CheckFragment,
// which parses them into a tree and was a sixth of a LOCK's cost: a
// client sends the same owner with every LOCK. The check is a function of
// the owner and its namespaces alone, so a remembered pass is the answer
// the check would give; failures are not remembered. Owners are bounded by
// the owner limit, and the set by maxFragments, so its memory is bounded.
var fragmentsPassed fragmentSet

// maxFragments bounds fragmentsPassed; it starts over when full.
const maxFragments = 256

// fragmentSet is a bounded set of keys, safe for concurrent use.
type fragmentSet struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

func (f *fragmentSet) has(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.keys[key]
	return ok
}

func (f *fragmentSet) add(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil || len(f.keys) >= maxFragments {
		f.keys = make(map[string]struct{})
	}
	f.keys[key] = struct{}{}
}

// fragmentKey encodes owner and ns unambiguously: each string is preceded
// by its length, the bindings sorted by prefix.
func fragmentKey(owner []byte, ns map[string]string) string {
	b := make([]byte, 0, len(owner)+64)
	for _, prefix := range slices.Sorted(maps.Keys(ns)) {
		b = appendField(appendField(b, prefix), ns[prefix])
	}
	b = append(b, '|')
	return string(appendField(b, string(owner)))
}

func appendField(b []byte, s string) []byte {
	return append(append(strconv.AppendInt(b, int64(len(s)), 10), ':'), s...)
}

// ownerChecks remembers, by lock token, whether a stored lock's owner XML
// may be echoed in lock discovery: whether it passes checkOwner. Locks
// taken before owners were checked (or under a larger limit) may hold an
// XML declaration, a DOCTYPE or a huge owner, which echoed as-is would make
// every PROPFIND of the locked tree ill-formed or huge. A token's owner
// never changes, so each lock is checked once; the map holds at most
// maxOwnerChecks tokens and starts over when full. A nil *ownerChecks
// checks every time. It is safe for concurrent use.
type ownerChecks struct {
	mu sync.RWMutex // guards ok
	ok map[string]bool
}

const maxOwnerChecks = 4096

// echoable reports whether l's owner may be written in an activelock,
// given the owner limit max.
func (c *ownerChecks) echoable(l storage.Lock, max int64) bool {
	if c == nil {
		return checkOwner(l.Owner, l.OwnerNS, max) == nil
	}
	c.mu.RLock()
	ok, seen := c.ok[l.Token]
	c.mu.RUnlock()
	if seen {
		return ok
	}
	ok = checkOwner(l.Owner, l.OwnerNS, max) == nil
	c.remember(l.Token, ok)
	return ok
}

// passed records that the owner of the lock with token passed the checks
// already (a LOCK's body is checked as it is parsed), so rendering the new
// lock does not check it again.
func (c *ownerChecks) passed(token string) {
	if c != nil {
		c.remember(token, true)
	}
}

func (c *ownerChecks) remember(token string, ok bool) {
	c.mu.Lock()
	if len(c.ok) >= maxOwnerChecks || c.ok == nil {
		c.ok = make(map[string]bool)
	}
	c.ok[token] = ok
	c.mu.Unlock()
}
