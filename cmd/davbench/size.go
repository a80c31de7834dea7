package main

import (
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag.Value for a number of bytes written plainly (4096)
// or with a binary suffix (64KiB, 256MiB, 1GiB).
type byteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}}

func (s *byteSize) Set(v string) error {
	num, mult := v, int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size like 4096, 64KiB, 256MiB or 1GiB", v)
	}
	*s = byteSize(n * mult)
	return nil
}

// String prints the size in the largest binary unit that divides it.
func (s *byteSize) String() string {
	if s == nil || *s == 0 {
		return "0"
	}
	n := int64(*s)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}
