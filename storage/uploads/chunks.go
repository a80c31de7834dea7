package uploads

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrGap is an assembly whose chunks do not make one whole file: a number
// missing, a range that does not start where the last ended, a range
// whose chunk has another size, or numbers mixed with ranges.
var ErrGap = errors.New("uploads: the chunks do not make one whole file")

// Chunk is one chunk of an upload.
type Chunk struct {
	Name    string
	Size    int64
	ModTime time.Time
	// Start (and, for a range, End) is what the name says: the chunk's
	// number, or the first and last byte offsets of a range "<start>-<end>"
	// (rclone's names); End is -1 for a number.
	Start, End int64
}

// maxNumber bounds a chunk number or offset: 2^62, well past any file.
const maxNumber = 1 << 62

// ParseChunk reads a chunk name: a decimal number, zero-padded or not
// (chunking v2 numbers chunks 1 to MaxChunks, the desktop client padding
// them to 5 digits and the web UI not at all; older desktop clients name
// them by index or by byte offset, padded to 8 or 16 digits), or a byte
// range "<start>-<end>" as rclone names its chunks
// ("000000000000000-000000010485759").
func ParseChunk(name string) (Chunk, error) {
	bad := fmt.Errorf("%w: %q", ErrInvalidChunk, name)
	if len(name) > 41 { // two 20-digit numbers and a dash
		return Chunk{}, bad
	}
	a, b, isRange := strings.Cut(name, "-")
	start, ok := number(a)
	if !ok {
		return Chunk{}, bad
	}
	if !isRange {
		return Chunk{Name: name, Start: start, End: -1}, nil
	}
	end, ok := number(b)
	if !ok || end < start {
		return Chunk{}, bad
	}
	return Chunk{Name: name, Start: start, End: end}, nil
}

// number reads 1 to 20 ASCII digits up to maxNumber.
func number(s string) (int64, bool) {
	if s == "" || len(s) > 20 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxNumber {
		return 0, false
	}
	return int64(n), true
}

// CheckChunk refuses a name ParseChunk refuses.
func CheckChunk(name string) error {
	_, err := ParseChunk(name)
	return err
}

// Chunks returns an upload's chunks in assembly order (by number, or by
// start offset); ErrNotExist when there is no such upload.
func (s *Store) Chunks(principal, id string) ([]Chunk, error) {
	dir, err := s.folder(principal, id)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	var out []Chunk
	for _, e := range entries {
		c, err := ParseChunk(e.Name())
		if err != nil || !e.Type().IsRegular() {
			continue // .info, temp files
		}
		fi, err := e.Info()
		if err != nil {
			continue // replaced meanwhile
		}
		c.Size, c.ModTime = fi.Size(), fi.ModTime()
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].End < out[j].End
	})
	return out, nil
}

// Whole checks that chunks (in the order Chunks gives) make one file
// with no gap, and returns its size. Chunking v2 (v2) numbers them
// consecutively from 1; chunking v1 also from 0, or by byte offset (each
// number the bytes before it). Byte ranges must each start one byte after
// the last ended, from 0, and hold as many bytes as they name. No chunks
// is a whole empty file.
func Whole(chunks []Chunk, v2 bool) (int64, error) {
	var size int64
	offsets, counted := !v2, true // what the numbers may still be
	for i, c := range chunks {
		if (c.End < 0) != (chunks[0].End < 0) {
			return 0, fmt.Errorf("%w: numbers mixed with byte ranges", ErrGap)
		}
		if c.End >= 0 {
			if c.Start != size || c.Size != c.End-c.Start+1 {
				return 0, fmt.Errorf("%w: chunk %s at byte %d (%d bytes)", ErrGap, c.Name, size, c.Size)
			}
		} else {
			first := chunks[0].Start
			offsets = offsets && c.Start == size
			counted = counted && (first == 1 || first == 0 && !v2) && c.Start == first+int64(i)
			if !offsets && !counted {
				return 0, fmt.Errorf("%w: chunk %s after %d bytes", ErrGap, c.Name, size)
			}
		}
		size += c.Size
	}
	return size, nil
}

// WriteChunk writes r as chunk name of an upload, replacing a chunk of
// that name whole, if check (when not nil) accepts the byte count; it
// reports whether the chunk existed, and the bytes written. announced is
// the body's length if known, -1 otherwise. A chunk over the principal's
// byte bound is ErrTooManyBytes; one while the upload is being assembled
// is ErrBusy.
func (s *Store) WriteChunk(principal, id, name string, r io.Reader, announced int64, check func(n int64) error) (replaced bool, n int64, err error) {
	dir, err := s.folder(principal, id)
	if err != nil {
		return false, 0, err
	}
	if err := CheckChunk(name); err != nil {
		return false, 0, err
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return false, 0, ErrNotExist
	}
	var freed int64 // by the chunk it replaces
	if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil {
		replaced, freed = true, fi.Size()
	} else if n, err := s.count(dir); err != nil || n >= MaxChunks {
		return false, 0, errors.Join(ErrTooManyChunks, err)
	}
	key, pkey := principalKey(principal)+"/"+id, principalKey(principal)
	release, allowance, err := s.beginWrite(key, pkey, announced, freed)
	if err != nil {
		return false, 0, err
	}
	defer release()
	if allowance >= 0 {
		r = io.LimitReader(r, allowance+1)
		inner := check
		check = func(n int64) error {
			if n > allowance {
				return ErrTooManyBytes
			}
			if inner != nil {
				return inner(n)
			}
			return nil
		}
	}
	n, err = s.writeFrom(dir, name, r, check)
	if errors.Is(err, fs.ErrNotExist) {
		err = errors.Join(ErrNotExist, err) // removed meanwhile
	}
	return replaced, n, err
}

// count counts the chunk files in dir.
func (s *Store) count(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("uploads: %w", err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n, nil
}

// beginWrite marks a chunk write under way in the upload key and
// reserves what it may write (see reserve).
func (s *Store) beginWrite(key, pkey string, announced, freed int64) (release func(), allowance int64, err error) {
	allowance, unreserve, err := s.reserve(pkey, announced, freed)
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	b := s.state[key]
	if b != nil && b.assembling {
		s.mu.Unlock()
		unreserve()
		return nil, 0, ErrBusy
	}
	if b == nil {
		b = &busy{}
		s.state[key] = b
	}
	b.writers++
	s.mu.Unlock()
	return func() {
		unreserve()
		s.mu.Lock()
		defer s.mu.Unlock()
		if b.writers--; b.writers == 0 && !b.assembling {
			delete(s.state, key)
		}
	}, allowance, nil
}

// reserve checks a chunk write against Options.MaxBytesPerPrincipal and
// reserves what it may write: the allowance left (-1 when unbounded),
// refused when announced (-1: unknown) is over it. freed is what the
// write frees (the chunk it replaces).
func (s *Store) reserve(pkey string, announced, freed int64) (allowance int64, unreserve func(), err error) {
	max := s.opts.MaxBytesPerPrincipal
	if max <= 0 {
		return -1, func() {}, nil
	}
	s.quotaMu.Lock()
	defer s.quotaMu.Unlock()
	used, err := s.pending(pkey)
	if err != nil {
		return 0, nil, err
	}
	allowance = max - used - s.reserved[pkey] + freed
	if allowance < 0 || announced > allowance {
		return 0, nil, fmt.Errorf("%w (%d bytes at most)", ErrTooManyBytes, max)
	}
	if announced >= 0 {
		allowance = announced
	}
	s.reserved[pkey] += allowance
	return allowance, func() {
		s.quotaMu.Lock()
		defer s.quotaMu.Unlock()
		if s.reserved[pkey] -= allowance; s.reserved[pkey] == 0 {
			delete(s.reserved, pkey)
		}
	}, nil
}

// pending sums the sizes of a principal's chunks on disk.
func (s *Store) pending(pkey string) (int64, error) {
	var sum int64
	err := filepath.WalkDir(filepath.Join(s.dir, pkey), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") { // .info, temp files
			if fi, err := d.Info(); err == nil {
				sum += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("uploads: %w", err)
	}
	return sum, nil
}
