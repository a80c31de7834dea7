package bench

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Config says what to measure and where. The zero value of every size and
// count means the scenario's default (the figures of issue 7).
type Config struct {
	URL        string        // the share, e.g. http://127.0.0.1:8080/
	User, Pass string        // Basic credentials; empty for none
	Clients    int           // concurrent clients; 0: each scenario's own default
	Duration   time.Duration // how long each run lasts
	MaxOps     int64         // most operations a run starts; 0: DefaultMaxOps
	Timeout    time.Duration // longest one request may take; 0: DefaultTimeout

	LargeSize    int64 // get-large's file; 0: 1 GiB
	PutLargeSize int64 // put-large's upload; 0: 256 MiB
	Files        int   // files in propfind-d1's folder; 0: 10,000
	SmallFiles   int   // files get-small reads among; 0: 1,000

	Keep     bool      // keep the fixtures (by default each scenario's folder is deleted after it)
	Progress io.Writer // where a progress line goes while a run lasts; nil for none
}

// Defaults of Config's zero values.
const (
	DefaultMaxOps       = 2_000_000
	DefaultTimeout      = 5 * time.Minute
	DefaultLargeSize    = 1 << 30
	DefaultPutLargeSize = 256 << 20
	DefaultFiles        = 10_000
	DefaultSmallFiles   = 1_000
	SmallSize           = 4 << 10 // get-small's and put-small's files
)

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("bench: invalid configuration")

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.URL == "":
		return fmt.Errorf("%w: no URL", ErrConfig)
	case c.Duration <= 0:
		return fmt.Errorf("%w: duration %v must be positive", ErrConfig, c.Duration)
	case c.Clients < 0, c.MaxOps < 0, c.Timeout < 0, c.LargeSize < 0, c.PutLargeSize < 0, c.Files < 0, c.SmallFiles < 0:
		return fmt.Errorf("%w: negative count, size or timeout", ErrConfig)
	}
	return nil
}

// withDefaults fills in every zero value.
func (c Config) withDefaults() Config {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxOps, DefaultMaxOps)
	def(&c.LargeSize, DefaultLargeSize)
	def(&c.PutLargeSize, DefaultPutLargeSize)
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Files == 0 {
		c.Files = DefaultFiles
	}
	if c.SmallFiles == 0 {
		c.SmallFiles = DefaultSmallFiles
	}
	return c
}
