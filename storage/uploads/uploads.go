package uploads

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// Errors the Store reports; callers branch on them with errors.Is.
var (
	// ErrInvalidID is an upload id CheckID refuses.
	ErrInvalidID = errors.New("uploads: invalid upload id")
	// ErrInvalidChunk is a chunk name CheckChunk refuses.
	ErrInvalidChunk = errors.New("uploads: invalid chunk name (a number, or <start>-<end>)")
	// ErrExist is a Create of an upload that exists.
	ErrExist = fmt.Errorf("uploads: the upload exists: %w", fs.ErrExist)
	// ErrNotExist is an upload (or chunk) that does not exist.
	ErrNotExist = fmt.Errorf("uploads: no such upload: %w", fs.ErrNotExist)
	// ErrTooMany is a Create over Options.MaxPerPrincipal.
	ErrTooMany = errors.New("uploads: too many chunked uploads under way")
	// ErrTooManyBytes is a chunk over Options.MaxBytesPerPrincipal.
	ErrTooManyBytes = errors.New("uploads: too many bytes pending in chunked uploads")
	// ErrTooManyChunks is a chunk over MaxChunks in one upload.
	ErrTooManyChunks = errors.New("uploads: too many chunks in one upload")
	// ErrBusy is a change to an upload that is being assembled, or an
	// assembly of one whose chunks are being written.
	ErrBusy = errors.New("uploads: the upload is busy (being assembled or written)")
)

// MaxChunks bounds the chunks of one upload (chunking v2 numbers them 1 to
// 10000).
const MaxChunks = 10000

// Options bound the uploads; the zero value bounds nothing and fsyncs.
type Options struct {
	// Relaxed skips the fsyncs (durability "relaxed"): a chunk survives a
	// process crash, not a power cut.
	Relaxed bool
	// MaxPerPrincipal bounds the uploads one principal has under way; 0
	// means no limit.
	MaxPerPrincipal int
	// MaxBytesPerPrincipal bounds the bytes in one principal's chunks; 0
	// means no limit.
	MaxBytesPerPrincipal int64
}

// Info is what an upload said about itself when it began.
type Info struct {
	// Destination is the resource path of the file the upload makes, ""
	// when the client did not say (chunking v1).
	Destination string `json:"destination,omitempty"`
	// TotalLength is OC-Total-Length, -1 when the client did not say.
	TotalLength int64 `json:"total_length"`
	// Created is when the upload began.
	Created time.Time `json:"created"`
}

// Upload is one upload folder as a listing shows it.
type Upload struct {
	ID string
	// ModTime is when the upload was last touched (created, or a chunk
	// written): the expiry counts from it.
	ModTime time.Time
}

// Store keeps the upload folders under one directory. It is safe for
// concurrent use.
type Store struct {
	dir  string
	opts Options

	mu    sync.Mutex       // guards state; never held across disk I/O
	state map[string]*busy // upload key → what is under way in it

	// createMu serialises Create, so the count of uploads it checks holds
	// until its rename.
	createMu sync.Mutex
	// quotaMu guards reserved and serialises the byte checks, so the bytes
	// counted on disk and reserved hold until the reservation.
	quotaMu  sync.Mutex
	reserved map[string]int64 // principal key → bytes of chunk writes under way
}

// busy is what is under way in one upload.
type busy struct {
	writers    int
	assembling bool
}

// infoName is the file holding an upload's Info; tempPrefix starts temp
// files. Neither is a valid chunk name.
const (
	infoName   = ".info"
	tempPrefix = ".tmp-"
	// removingPrefix names an upload folder being removed: garbage as
	// soon as it has the name.
	removingPrefix = tempPrefix + "rm-"
)

// Open returns the Store keeping its folders in dir, made if missing.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	return &Store{dir: dir, opts: opts, state: map[string]*busy{}, reserved: map[string]int64{}}, nil
}

// principalKey is the folder name of principal: "u" and the hex of its
// name, or "h" and a SHA-256 when that would be long.
func principalKey(principal string) string {
	if len(principal) <= 100 {
		return "u" + hex.EncodeToString([]byte(principal))
	}
	sum := sha256.Sum256([]byte(principal))
	return "h" + hex.EncodeToString(sum[:])
}

// CheckID refuses an upload id that is empty, longer than 200 bytes,
// starts with a dot or holds anything but ASCII letters, digits and
// "-_.~". Every client seen fits: "web-file-upload-…" (Nextcloud's web
// UI), numbers (the desktop client), "rclone-chunked-upload-<md5>".
func CheckID(id string) error {
	if id == "" || len(id) > 200 || id[0] == '.' {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0
		if !ok {
			return fmt.Errorf("%w: %q", ErrInvalidID, id)
		}
	}
	return nil
}

// folder is the path of an upload's folder, its id checked.
func (s *Store) folder(principal, id string) (string, error) {
	if err := CheckID(id); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, principalKey(principal), id), nil
}

// Create begins an upload: its folder appears complete, with info, in one
// rename. An existing id is ErrExist; one upload more than
// Options.MaxPerPrincipal is ErrTooMany.
func (s *Store) Create(principal, id string, info Info) error {
	dir, err := s.folder(principal, id)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if _, err := os.Lstat(dir); err == nil {
		return ErrExist
	}
	if max := s.opts.MaxPerPrincipal; max > 0 {
		ups, err := s.List(principal)
		if err != nil {
			return err
		}
		if len(ups) >= max {
			return fmt.Errorf("%w (%d)", ErrTooMany, max)
		}
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix)
	if err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	if info.Created.IsZero() {
		info.Created = time.Now()
	}
	b, _ := json.Marshal(info) // a struct of strings, numbers and a time: never fails
	if err := s.writeFile(tmp, infoName, b); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("uploads: %w", err)
	}
	return s.syncDir(parent)
}

// Info returns what the upload said when it began, and when it was last
// touched.
func (s *Store) Info(principal, id string) (Info, time.Time, error) {
	dir, err := s.folder(principal, id)
	if err != nil {
		return Info{}, time.Time{}, err
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, time.Time{}, ErrNotExist
	}
	if err != nil {
		return Info{}, time.Time{}, fmt.Errorf("uploads: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, infoName))
	if err != nil {
		return Info{}, time.Time{}, fmt.Errorf("uploads: %s: %w", id, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return Info{}, time.Time{}, fmt.Errorf("uploads: %s: bad %s: %w", id, infoName, err)
	}
	return info, fi.ModTime(), nil
}

// List returns principal's uploads, by id.
func (s *Store) List(principal string) ([]Upload, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, principalKey(principal)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	var out []Upload
	for _, e := range entries {
		if !e.IsDir() || CheckID(e.Name()) != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Upload{ID: e.Name(), ModTime: fi.ModTime()})
	}
	return out, nil
}

// Remove removes an upload and its chunks; ErrBusy while it is being
// assembled or written, ErrNotExist when there is none.
func (s *Store) Remove(principal, id string) error {
	dir, err := s.folder(principal, id)
	if err != nil {
		return err
	}
	key := principalKey(principal) + "/" + id
	s.mu.Lock()
	if b := s.state[key]; b != nil {
		s.mu.Unlock()
		return ErrBusy
	}
	s.state[key] = &busy{assembling: true} // keep writers out while removing
	s.mu.Unlock()
	defer s.clear(key)
	return s.removeDir(dir)
}

// removeDir removes an upload folder: first renamed to a temp name (so a
// crash part-way leaves no half upload under its id), then removed.
func (s *Store) removeDir(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return ErrNotExist
	}
	// A fresh random name (of a folder made and removed to pick it): a
	// removal a crash cut short leaves its own, never in the way.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), removingPrefix)
	if err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	os.Remove(tmp) // os.Rename refuses to replace a folder, even an empty one
	if err := os.Rename(dir, tmp); err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	if err := s.syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	return nil
}

// clear forgets what was under way in an upload.
func (s *Store) clear(key string) {
	s.mu.Lock()
	delete(s.state, key)
	s.mu.Unlock()
}

// writeFile writes name in dir durably: a temp file, fsynced, renamed
// over name, the folder fsynced.
func (s *Store) writeFile(dir, name string, b []byte) error {
	_, err := s.writeFrom(dir, name, strings.NewReader(string(b)), nil)
	return err
}

// writeFrom writes r to name in dir durably, as writeFile, if check (when
// not nil) accepts the byte count before the rename. It reports whether
// name existed and the bytes written.
func (s *Store) writeFrom(dir, name string, r io.Reader, check func(n int64) error) (int64, error) {
	f, err := os.CreateTemp(dir, tempPrefix)
	if err != nil {
		return 0, fmt.Errorf("uploads: %w", err)
	}
	n, err := io.Copy(f, r)
	if err == nil && check != nil {
		err = check(n)
	}
	if err == nil && !s.opts.Relaxed {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return n, err
	}
	return n, s.syncDir(dir)
}

// syncDir fsyncs dir unless Options.Relaxed.
func (s *Store) syncDir(dir string) error {
	if s.opts.Relaxed {
		return nil
	}
	if err := storage.SyncDir(dir); err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	return nil
}
