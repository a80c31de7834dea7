package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, the smallest sample at or above which p percent of the samples
// lie. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Median returns the median of xs (the mean of the two middle values for
// an even count), or 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// tally is what one client counts during a run; only its goroutine
// touches it until the run ends.
type tally struct {
	lat   []time.Duration // latency of each successful operation
	bytes int64           // body bytes sent and received by them
	errs  int64
	first error // the first error, kept for the report
}

// summarize folds the clients' tallies into a Result.
func summarize(name, url string, clients int, elapsed time.Duration, ts []tally) Result {
	r := Result{Scenario: name, URL: url, Clients: clients, Elapsed: elapsed}
	var all []time.Duration
	for _, t := range ts {
		all = append(all, t.lat...)
		r.Bytes += t.bytes
		r.Errors += t.errs
		if r.FirstError == "" && t.first != nil {
			r.FirstError = t.first.Error()
		}
	}
	slices.Sort(all)
	r.Ops = int64(len(all))
	r.P50 = Percentile(all, 50)
	r.P99 = Percentile(all, 99)
	if s := elapsed.Seconds(); s > 0 {
		r.OpsPerSec = float64(r.Ops) / s
		r.MBPerSec = float64(r.Bytes) / 1e6 / s
	}
	return r
}
