package config

import (
	"fmt"
	"strings"
)

// didYouMean returns " (did you mean X?)" with X the candidate closest to
// s, shown by show, when it is close enough to be a typo of it, else "".
// Case and the choice of "-" or "_" do not count: max_upload_bytes and
// Max-Upload-Bytes are one edit from nothing.
func didYouMean(s string, candidates []string, show func(string) string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "_", "-") }
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(norm(s), norm(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(s)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", show(best))
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }

// editDistance is the Levenshtein distance between a and b, in bytes (keys
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
