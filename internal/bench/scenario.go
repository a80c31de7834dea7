package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// workload is a scenario whose fixtures exist on the server.
type workload interface {
	// op runs client c's n-th operation with the client's own random
	// source and returns the body bytes it sent and received. n is unique
	// among client c's operations over every run.
	op(ctx context.Context, c int, n int64, rng *rand.Rand) (int64, error)
}

// env is what a scenario prepares its fixtures with.
type env struct {
	cl      *client
	dir     string // the scenario's own folder, a URL path under the share
	cfg     Config // with defaults filled in
	clients int
}

// scenario is one named workload of issue 7.
type scenario struct {
	name    string
	clients int // default concurrency
	about   string
	prepare func(ctx context.Context, e *env) (workload, error)
}

// scenarios are every scenario, in the order "all" runs them.
var scenarios = []scenario{
	{"get-large", 1, "GET of one large file (-large-size, 1 GiB), one stream", prepareGetLarge},
	{"put-large", 1, "PUT of a large upload (-put-large-size, 256 MiB) over the client's own file", preparePutLarge},
	{"get-small", 32, "GET of 4 KiB files chosen at random among -small-files", prepareGetSmall},
	{"put-small", 16, "PUT of a new 4 KiB file", preparePutSmall},
	{"propfind-d1", 4, "PROPFIND Depth 1 allprop of a folder of -files files", preparePropfindD1},
	{"proppatch", 16, "PROPPATCH setting 4 dead properties, each client on its own files", prepareProppatch},
	{"propfind-dead", 32, "PROPFIND Depth 0 of those 4 dead properties", preparePropfindDead},
	{"lock-unlock", 16, "LOCK (exclusive, Depth 0) then UNLOCK, each client on its own file", prepareLockUnlock},
	{"mixed", 8, "a sync client's mix of PROPFIND Depth 1, GET, PUT, MOVE and DELETE in its own folder", prepareMixed},
}

// moreScenarios run only when named: they need more of the server than
// WebDAV, so "all" and the comparison with Apache leave them out.
var moreScenarios = []scenario{
	{"put-chunked", 1, "put-large's upload as Nextcloud chunked uploads in 10 MiB chunks, MKCOL, PUTs, MOVE .file (needs the Nextcloud URL layout; not in all)", preparePutChunked},
}

// Scenarios returns the names of every scenario, in the order "all" runs
// them.
func Scenarios() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

// Describe returns a one-line description of the named scenario and its
// default number of clients, or ok false for an unknown name.
func Describe(name string) (about string, clients int, ok bool) {
	s, ok := lookup(name)
	return s.about, s.clients, ok
}

func lookup(name string) (scenario, bool) {
	all := append(slices.Clip(scenarios), moreScenarios...)
	i := slices.IndexFunc(all, func(s scenario) bool { return s.name == name })
	if i < 0 {
		return scenario{}, false
	}
	return all[i], true
}

// setupWorkers is how many requests fixtures are created with at once.
const setupWorkers = 16

// parallel calls f(0) … f(n-1) on at most setupWorkers goroutines and
// returns the first error; after one, no new call starts.
func parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, setupWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("bench: creating fixtures: %w", err)
	}
	return nil
}
