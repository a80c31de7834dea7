package uploads

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Assembly is an upload held still while its chunks are read in order:
// no chunk is written and the upload is not removed or swept until Close.
type Assembly struct {
	s      *Store
	key    string
	dir    string
	Info   Info
	Chunks []Chunk
	closed bool
}

// Open holds an upload for assembly and lists its chunks; ErrBusy when a
// chunk is being written or another assembly holds it, ErrNotExist when
// there is no such upload. The caller must Close it.
func (s *Store) Open(principal, id string) (*Assembly, error) {
	dir, err := s.folder(principal, id)
	if err != nil {
		return nil, err
	}
	key := principalKey(principal) + "/" + id
	s.mu.Lock()
	if s.state[key] != nil {
		s.mu.Unlock()
		return nil, ErrBusy
	}
	s.state[key] = &busy{assembling: true}
	s.mu.Unlock()
	a := &Assembly{s: s, key: key, dir: dir}
	if a.Info, _, err = s.Info(principal, id); err == nil {
		a.Chunks, err = s.Chunks(principal, id)
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Reader returns the chunks, concatenated in order; each is opened when
// the one before has been read.
func (a *Assembly) Reader() io.Reader {
	return &chunkReader{dir: a.dir, chunks: a.Chunks}
}

// Remove removes the upload (after a successful assembly) and releases
// it.
func (a *Assembly) Remove() error {
	defer a.Close()
	return a.s.removeDir(a.dir)
}

// Close releases the upload; the chunks stay for another try.
func (a *Assembly) Close() {
	if !a.closed {
		a.closed = true
		a.s.clear(a.key)
	}
}

// chunkReader reads chunk files one after the other.
type chunkReader struct {
	dir    string
	chunks []Chunk
	cur    *os.File
	read   int64 // of cur
}

func (c *chunkReader) Read(b []byte) (int, error) {
	for {
		if c.cur == nil {
			if len(c.chunks) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(filepath.Join(c.dir, c.chunks[0].Name))
			if err != nil {
				return 0, fmt.Errorf("uploads: chunk %s: %w", c.chunks[0].Name, err)
			}
			c.cur, c.read = f, 0
		}
		n, err := c.cur.Read(b)
		c.read += int64(n)
		if err == io.EOF {
			size := c.chunks[0].Size
			c.cur.Close()
			c.cur, c.chunks = nil, c.chunks[1:]
			if c.read != size { // changed behind the store's back
				return n, fmt.Errorf("uploads: a chunk changed size while assembled (%d of %d bytes)", c.read, size)
			}
			if n == 0 {
				continue
			}
			return n, nil
		}
		if err != nil {
			c.cur.Close()
			c.cur = nil
		}
		return n, err
	}
}

// WriteTo copies the chunks left to w, each as a file, so that io.Copy
// into a file lets the kernel copy them (copy_file_range) instead of
// passing every byte through a buffer.
func (c *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if c.cur != nil { // part-read by Read: finish it the plain way
		n, err := io.Copy(w, onlyReader{c})
		total += n
		if err != nil || c.cur != nil {
			return total, err
		}
	}
	for len(c.chunks) > 0 {
		n, err := copyChunk(w, filepath.Join(c.dir, c.chunks[0].Name), c.chunks[0].Size)
		total += n
		if err != nil {
			return total, err
		}
		c.chunks = c.chunks[1:]
	}
	return total, nil
}

// onlyReader hides a chunkReader's WriteTo from io.Copy.
type onlyReader struct{ c *chunkReader }

func (o onlyReader) Read(b []byte) (int, error) {
	if o.c.cur == nil {
		return 0, io.EOF // the chunk under way is done
	}
	return o.c.Read(b)
}

// copyChunk copies the chunk file name, which must hold size bytes, to w.
func copyChunk(w io.Writer, name string, size int64) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, fmt.Errorf("uploads: chunk %s: %w", filepath.Base(name), err)
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != size {
		err = fmt.Errorf("uploads: a chunk changed size while assembled (%d of %d bytes)", n, size)
	}
	return n, err
}

// Sweep removes the uploads last touched before cutoff (none when cutoff
// is zero), of every principal, and what a crash left: folders being
// removed, and temp files and folders older than TempAge. It passes over
// the uploads in use and returns how many uploads it removed.
func (s *Store) Sweep(cutoff time.Time) (int, error) {
	principals, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("uploads: %w", err)
	}
	removed := 0
	var errs []error
	for _, p := range principals {
		if !p.IsDir() {
			continue
		}
		n, err := s.sweepPrincipal(p.Name(), cutoff)
		removed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// sweepPrincipal sweeps one principal's folder (pkey is its key).
func (s *Store) sweepPrincipal(pkey string, cutoff time.Time) (int, error) {
	pdir := filepath.Join(s.dir, pkey)
	entries, err := os.ReadDir(pdir)
	if err != nil {
		return 0, fmt.Errorf("uploads: %w", err)
	}
	removed := 0
	temps := time.Now().Add(-TempAge)
	for _, e := range entries {
		fi, err := e.Info()
		switch {
		case err != nil:
			continue
		case strings.HasPrefix(e.Name(), removingPrefix):
			os.RemoveAll(filepath.Join(pdir, e.Name()))
			continue
		case strings.HasPrefix(e.Name(), tempPrefix):
			if fi.ModTime().Before(temps) { // a Create cut short
				os.RemoveAll(filepath.Join(pdir, e.Name()))
			}
			continue
		case !fi.ModTime().Before(cutoff):
			continue
		}
		key := pkey + "/" + e.Name()
		s.mu.Lock()
		inUse := s.state[key] != nil
		if !inUse {
			s.state[key] = &busy{assembling: true}
		}
		s.mu.Unlock()
		if inUse {
			continue
		}
		if err = s.removeDir(filepath.Join(pdir, e.Name())); err == nil {
			removed++
		}
		s.clear(key)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
	}
	sweepTemps(pdir, temps)
	return removed, nil
}

// TempAge is how old a temp file or folder must be for Sweep to remove
// it: a chunk being written keeps its temp file younger (the upload
// bounds end a body that stops), and a Create takes no time.
const TempAge = time.Hour

// sweepTemps removes the chunk temp files a crash left in the upload
// folders of pdir, older than cutoff.
func sweepTemps(pdir string, cutoff time.Time) {
	temps, _ := filepath.Glob(filepath.Join(pdir, "*", tempPrefix+"*"))
	for _, t := range temps {
		if fi, err := os.Lstat(t); err == nil && fi.ModTime().Before(cutoff) {
			os.Remove(t)
		}
	}
}
