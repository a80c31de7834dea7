package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnknownScenario is wrapped by the error for a name Scenarios does not
// list.
var ErrUnknownScenario = errors.New("bench: unknown scenario")

// Bench measures one server. Its fixtures live in a folder of their own,
// created by the first Prepare and deleted by Close.
type Bench struct {
	cfg   Config
	run   string // the run folder's URL path under the share
	made  bool   // the run folder exists
	setup *client
}

// New returns a Bench for cfg.URL; it sends nothing yet.
func New(cfg Config) (*Bench, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cl, err := newClient(cfg.URL, cfg.User, cfg.Pass, setupWorkers, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	return &Bench{cfg: cfg, setup: cl, run: "/" + RunFolder(time.Now(), rand.Uint32())}, nil
}

// Prepared is a scenario whose fixtures exist, ready to Run as often as
// wanted.
type Prepared struct {
	b       *Bench
	s       scenario
	clients int
	dir     string
	cl      *client
	w       workload
	runs    int
}

// Prepare creates the named scenario's fixtures in a folder of its own.
func (b *Bench) Prepare(ctx context.Context, name string) (*Prepared, error) {
	s, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownScenario, name, Scenarios())
	}
	if !b.made {
		if err := b.setup.mkcol(ctx, b.run); err != nil {
			return nil, fmt.Errorf("bench: creating the run folder: %w", err)
		}
		b.made = true
	}
	p := &Prepared{b: b, s: s, clients: s.clients, dir: joinPath(b.run, s.name)}
	if b.cfg.Clients > 0 {
		p.clients = b.cfg.Clients
	}
	cl, err := newClient(b.cfg.URL, b.cfg.User, b.cfg.Pass, max(p.clients, setupWorkers), b.cfg.Timeout)
	if err != nil {
		return nil, err
	}
	p.cl = cl
	if err := cl.mkcol(ctx, p.dir); err != nil {
		return nil, fmt.Errorf("bench: creating fixtures: %w", err)
	}
	p.w, err = s.prepare(ctx, &env{cl: cl, dir: p.dir, cfg: b.cfg, clients: p.clients})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// Cleanup deletes the scenario's folder, unless the Config keeps fixtures.
func (p *Prepared) Cleanup(ctx context.Context) error {
	defer p.cl.hc.CloseIdleConnections()
	if p.b.cfg.Keep {
		return nil
	}
	return p.b.setup.delete(ctx, p.dir)
}

// Close deletes the run folder, unless the Config keeps fixtures.
func (b *Bench) Close(ctx context.Context) error {
	defer b.setup.hc.CloseIdleConnections()
	if !b.made || b.cfg.Keep {
		return nil
	}
	return b.setup.delete(ctx, b.run)
}

// RunScenario prepares, runs and cleans up the named scenario.
func (b *Bench) RunScenario(ctx context.Context, name string) (Result, error) {
	p, err := b.Prepare(ctx, name)
	if err != nil {
		return Result{}, err
	}
	r, err := p.Run(ctx)
	if cerr := p.Cleanup(context.WithoutCancel(ctx)); err == nil && cerr != nil {
		err = fmt.Errorf("%s: cleaning up: %w", name, cerr)
	}
	return r, err
}

// Run starts the scenario's clients, each running operations one after
// the other until the Config's duration has passed or its operation count
// is reached, waits for the operations in flight and returns what they
// measured. An operation that outlives the Config's timeout is cancelled
// and counted as an error. Run returns ctx's error if ctx ends first,
// with what was measured until then.
func (p *Prepared) Run(ctx context.Context) (Result, error) {
	cfg := p.b.cfg
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration+cfg.Timeout)
	defer cancel()
	var (
		started  atomic.Int64
		done     atomic.Int64 // successful operations, for the progress line
		failed   atomic.Int64
		wg       sync.WaitGroup
		tallies  = make([]tally, p.clients)
		start    = time.Now()
		deadline = start.Add(cfg.Duration)
		seed     = uint64(p.runs)
	)
	p.runs++
	for c := range p.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[c]
			rng := rand.New(rand.NewPCG(uint64(c), seed))
			// n numbers the client's operations across every run of p.
			for n := int64(seed) * cfg.MaxOps; runCtx.Err() == nil && time.Now().Before(deadline) && started.Add(1) <= cfg.MaxOps; n++ {
				t0 := time.Now()
				b, err := p.w.op(runCtx, c, n, rng)
				if err != nil {
					t.errs++
					failed.Add(1)
					if t.first == nil {
						t.first = err
					}
					continue
				}
				t.lat = append(t.lat, time.Since(t0))
				t.bytes += b
				done.Add(1)
			}
		}()
	}
	stop := p.progress(start, &done, &failed)
	wg.Wait()
	elapsed := time.Since(start)
	stop()
	return summarize(p.s.name, cfg.URL, p.clients, elapsed, tallies), ctx.Err()
}

// progress writes a progress line to the Config's Progress writer every
// quarter second until the returned func is called, which erases it.
func (p *Prepared) progress(start time.Time, done, failed *atomic.Int64) (stop func()) {
	w := p.b.cfg.Progress
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
				el := time.Since(start).Seconds()
				fmt.Fprintf(w, "\r\033[K%s  %.1f/%.0fs  %d ops  %.0f ops/s  %d errors",
					p.s.name, el, p.b.cfg.Duration.Seconds(), done.Load(), float64(done.Load())/el, failed.Load())
			}
		}
	}()
	return func() { close(quit); <-finished }
}
