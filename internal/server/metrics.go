package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atomdav/atomdav/internal/config"
)

// readyTimeout is how long /readyz waits for the store to answer a read.
const readyTimeout = time.Second

// opsState is what the operations listener keeps: the metrics the request
// path, the PROPPATCH engine and the store update. m is nil when no
// metrics address is configured, and then nothing is measured.
type opsState struct {
	m *opsMetrics
}

// opsMetrics are atomdav's Prometheus instruments, in a registry of their
// own (never the global one), with the Go runtime and process collectors.
type opsMetrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec   // method, status
	duration      *prometheus.HistogramVec // method
	bytesIn       prometheus.Counter
	bytesOut      prometheus.Counter
	proppatch     *prometheus.CounterVec // result: committed, failed
	commitSeconds prometheus.Histogram
	commitWrites  prometheus.Histogram
	// series holds the request series by seriesKey (seriesOf).
	series sync.Map
}

// newOpsState builds the instruments when cfg has a metrics address.
func newOpsState(cfg config.Config) opsState {
	if cfg.MetricsAddr == "" {
		return opsState{}
	}
	m := &opsMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atomdav_requests_total",
			Help: "WebDAV requests served, by method (OTHER for unknown ones) and status.",
		}, []string{"method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atomdav_request_duration_seconds",
			Help:    "Time from the request's headers to the end of its response, by method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method"}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "atomdav_request_bytes_total",
			Help: "Bytes of request bodies read.",
		}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "atomdav_response_bytes_total",
			Help: "Bytes of response bodies written.",
		}),
		proppatch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atomdav_proppatch_total",
			Help: "PROPPATCH requests that reached the store: committed, or failed and rolled back.",
		}, []string{"result"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "atomdav_store_commit_seconds",
			Help:    "Duration of each group commit of the property store, fsync included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		commitWrites: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "atomdav_store_commit_writes",
			Help:    "Writes applied per group commit of the property store.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9), // 1 … 256, the largest group
		}),
	}
	m.proppatch.WithLabelValues("committed")
	m.proppatch.WithLabelValues("failed")
	m.reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.proppatch,
		m.commitSeconds, m.commitWrites,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return opsState{m: m}
}

// onCommit is the store's bolt.Options.OnCommit; nil when not measuring.
func (o opsState) onCommit() func(time.Duration, int) {
	if o.m == nil {
		return nil
	}
	return func(d time.Duration, writes int) {
		o.m.commitSeconds.Observe(d.Seconds())
		o.m.commitWrites.Observe(float64(writes))
	}
}

// onProppatch is the handler's dav.Config.OnProppatch; nil when not
// measuring.
func (o opsState) onProppatch() func(bool) {
	if o.m == nil {
		return nil
	}
	return func(committed bool) {
		result := "failed"
		if committed {
			result = "committed"
		}
		o.m.proppatch.WithLabelValues(result).Inc()
	}
}

// observe counts one request by method and final status, and its
// duration. status is 0 when no final status was sent: net/http then
// answers 200 for a handler that returned, and the request is counted as
// the 500 of the recovery when it panicked.
func (m *opsMetrics) observe(method string, status int, returned bool, dur time.Duration) {
	switch {
	case status != 0:
	case returned:
		status = http.StatusOK // what net/http sends for a silent handler
	default:
		status = http.StatusInternalServerError
	}
	sr := m.seriesOf(methodLabel(method), status)
	sr.requests.Inc()
	sr.duration.Observe(dur.Seconds())
}

// seriesKey names the series one request updates.
type seriesKey struct {
	method string // a methodLabel
	status int
}

// requestSeries are the series one request updates.
type requestSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// seriesOf returns the series of a request's method label and status,
// kept once made: a vector's WithLabelValues hashes the labels and takes a
// read lock that every core writes to, on every request. The keys are as
// bounded as the labels (methodLabel; net/http refuses statuses outside
// 100-999), and a series is still made when first used, so /metrics shows
// only those seen.
func (m *opsMetrics) seriesOf(method string, status int) *requestSeries {
	k := seriesKey{method, status}
	if v, ok := m.series.Load(k); ok {
		return v.(*requestSeries)
	}
	v, _ := m.series.LoadOrStore(k, &requestSeries{
		requests: m.requests.WithLabelValues(method, strconv.Itoa(status)),
		duration: m.duration.WithLabelValues(method),
	})
	return v.(*requestSeries)
}

// methods are the request methods counted under their own name; any
// other is "OTHER", so a client cannot make the label set grow.
var methods = map[string]bool{
	"GET": true, "HEAD": true, "PUT": true, "DELETE": true, "OPTIONS": true, "POST": true,
	"PROPFIND": true, "PROPPATCH": true, "MKCOL": true, "COPY": true, "MOVE": true,
	"LOCK": true, "UNLOCK": true, "REPORT": true,
}

func methodLabel(m string) string {
	if methods[m] {
		return m
	}
	return "OTHER"
}

// countingBody adds the bytes read from a request body to n as they are
// read (a handler may leave part of a body unread).
type countingBody struct {
	io.ReadCloser
	n prometheus.Counter
}

func (b *countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	if k > 0 {
		b.n.Add(float64(k))
	}
	return k, err
}

// lockCollector reports atomdav_locks_active, counted in the store when
// scraped. A store that cannot answer makes the scrape report an error for
// this metric alone.
type lockCollector struct {
	store serverStore
	desc  *prometheus.Desc
}

func newLockCollector(store serverStore) lockCollector {
	return lockCollector{store: store, desc: prometheus.NewDesc("atomdav_locks_active",
		"WebDAV locks held now (unexpired), read from the store at scrape time.", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c lockCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c lockCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	n, err := c.store.LockCount(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

// startOps starts the operations listener at cfg.MetricsAddr, if any:
// /metrics, /healthz, /readyz and, with cfg.Pprof, /debug/pprof/. ctx is
// the serving context: once it is done /readyz answers 503. The returned
// func stops the listener.
func (s *Server) startOps(ctx context.Context) (stop func(), err error) {
	if s.cfg.MetricsAddr == "" {
		if s.cfg.Pprof {
			s.log.Warn("pprof is served on the metrics address only: set metrics-addr to use it")
		}
		return func() {}, nil
	}
	if err := s.ops.m.reg.Register(newLockCollector(s.store)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics-addr: %w", err)
	}
	srv := &http.Server{
		// Unauthenticated, so on loopback it answers localhost and IP
		// addresses only, like an anonymous share: pprof's cmdline may
		// hold a postgres:// password (see withHost).
		Handler:           guardHost(s.opsMux(ctx), s.cfg.AllowedHosts, isLoopback(ln.Addr())),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("operations listener stopped", "err", err)
		}
	}()
	s.log.Info("operations", "addr", "http://"+ln.Addr().String(), "pprof", s.cfg.Pprof)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close() // a long profile or scrape in progress
		}
		<-done
	}, nil
}

// opsMux routes the operations listener.
func (s *Server) opsMux(serving context.Context) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.ops.m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ready(serving, r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// errShuttingDown is why /readyz refuses once shutdown has begun.
var errShuttingDown = errors.New("shutting down")

// ready returns nil when the server takes requests: serving is not done
// (no shutdown has begun) and the store answers a read within
// readyTimeout. A read stuck in the store is left to finish on its own.
func (s *Server) ready(serving, req context.Context) error {
	if serving.Err() != nil {
		return errShuttingDown
	}
	ctx, cancel := context.WithTimeout(req, readyTimeout)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := s.store.Props(ctx, "/")
		errc <- err
	}()
	select {
	case err := <-errc:
		if err != nil {
			s.log.Warn("not ready: the store failed a read", "err", err)
			return errors.New("store read failed")
		}
		return nil
	case <-ctx.Done():
		s.log.Warn("not ready: the store did not answer a read", "timeout", readyTimeout)
		return fmt.Errorf("store did not answer within %v", readyTimeout)
	}
}
