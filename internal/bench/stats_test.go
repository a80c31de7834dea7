package bench

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var d []time.Duration
		for _, x := range xs {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample", ms(7), 99, 7 * time.Millisecond},
		{"median of odd count", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even count is the lower middle (nearest rank)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100 samples", hundred, 99, 99 * time.Millisecond},
		{"p50 of 100 samples", hundred, 50, 50 * time.Millisecond},
		{"p100 is the maximum", hundred, 100, 100 * time.Millisecond},
		{"tiny p is the minimum", hundred, 0.001, time.Millisecond},
		{"p99 of 10 samples is the maximum", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.xs...)
		if got := Median(tt.xs); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.xs[i] {
				t.Errorf("Median reordered its argument: %v", tt.xs)
			}
		}
	}
}

func TestSummarize(t *testing.T) {
	ts := []tally{
		{lat: []time.Duration{3 * time.Millisecond, 1 * time.Millisecond}, bytes: 1_000_000},
		{lat: []time.Duration{2 * time.Millisecond}, bytes: 1_000_000, errs: 2, first: errors.New("boom")},
		{},
	}
	r := summarize("get-small", "http://x/", 3, 2*time.Second, ts)
	if r.Ops != 3 || r.Errors != 2 || r.Bytes != 2_000_000 {
		t.Errorf("ops, errors, bytes = %d, %d, %d; want 3, 2, 2000000", r.Ops, r.Errors, r.Bytes)
	}
	if r.OpsPerSec != 1.5 || r.MBPerSec != 1 {
		t.Errorf("ops/s, MB/s = %v, %v; want 1.5, 1", r.OpsPerSec, r.MBPerSec)
	}
	if r.P50 != 2*time.Millisecond || r.P99 != 3*time.Millisecond {
		t.Errorf("p50, p99 = %v, %v; want 2ms, 3ms", r.P50, r.P99)
	}
	if r.FirstError != "boom" {
		t.Errorf("FirstError = %q, want boom", r.FirstError)
	}
}
