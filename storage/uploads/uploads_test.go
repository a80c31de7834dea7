package uploads

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t *testing.T, s *Store, principal, id, name, body string) bool {
	t.Helper()
	replaced, n, err := s.WriteChunk(principal, id, name, strings.NewReader(body), int64(len(body)), nil)
	if err != nil || n != int64(len(body)) {
		t.Fatalf("WriteChunk %s/%s: %d, %v", id, name, n, err)
	}
	return replaced
}

func assemble(t *testing.T, s *Store, principal, id string, v2 bool) (string, error) {
	t.Helper()
	a, err := s.Open(principal, id)
	if err != nil {
		return "", err
	}
	defer a.Close()
	if _, err := Whole(a.Chunks, v2); err != nil {
		return "", err
	}
	b, err := io.ReadAll(a.Reader())
	return string(b), err
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"web-file-upload-0123abcd", "rclone-chunked-upload-d41d8cd98f00b204e9800998ecf8427e", "12345", "a.b_c~d"} {
		if err := CheckID(id); err != nil {
			t.Errorf("CheckID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", ".info", ".tmp-x", "a/b", "a\\b", "a\x00b", "a\nb", "é", "a b", strings.Repeat("a", 201)} {
		if err := CheckID(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("CheckID(%q) = %v, want ErrInvalidID", id, err)
		}
	}
}

func TestParseChunk(t *testing.T) {
	for name, want := range map[string][2]int64{
		"1": {1, -1}, "00001": {1, -1}, "0000000000000017": {17, -1}, "10000": {10000, -1}, "0": {0, -1},
		"0000000010485760": {10485760, -1}, "00000003": {3, -1},
		"000000000000000-000000010485759": {0, 10485759}, "5-5": {5, 5},
	} {
		c, err := ParseChunk(name)
		if err != nil || c.Start != want[0] || c.End != want[1] {
			t.Errorf("ParseChunk(%q) = %+v, %v; want %v", name, c, err, want)
		}
	}
	for _, name := range []string{"", ".file", ".info", "-1", "1-", "-", "5-4", "a", "1.5", "+1", " 1",
		"99999999999999999999", "1-99999999999999999999", "1-2-3", "..", "1/2"} {
		if _, err := ParseChunk(name); !errors.Is(err, ErrInvalidChunk) {
			t.Errorf("ParseChunk(%q) = %v, want ErrInvalidChunk", name, err)
		}
	}
}

// TestChunksInAnyOrderRetriesReplace: chunks written out of order are
// assembled by number (not by name: "10" after "9"), and a retried chunk
// replaces the first try whole.
func TestChunksInAnyOrderRetriesReplace(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	if err := s.Create("alice", "up1", Info{TotalLength: -1}); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, n := range []string{"10", "3", "1", "7", "2", "9", "4", "6", "5", "8"} {
		write(t, s, "alice", "up1", n, "old"+n+";")
	}
	if !write(t, s, "alice", "up1", "3", "retried-3;") {
		t.Error("a retried chunk was not reported as replacing one")
	}
	for i := 1; i <= 10; i++ {
		if i == 3 {
			want.WriteString("retried-3;")
			continue
		}
		want.WriteString("old" + string(rune('0'+i%10)) + ";")
	}
	got, err := assemble(t, s, "alice", "up1", true)
	wantS := strings.Replace(want.String(), "old0;", "old10;", 1)
	if err != nil || got != wantS {
		t.Fatalf("assembled %q, %v; want %q", got, err, wantS)
	}
}

func TestWhole(t *testing.T) {
	nums := func(ns ...int64) []Chunk {
		var cs []Chunk
		for _, n := range ns {
			cs = append(cs, Chunk{Name: "n", Start: n, End: -1, Size: 1})
		}
		return cs
	}
	offs := func(sizes ...int64) []Chunk { // named by byte offset
		var cs []Chunk
		var at int64
		for _, n := range sizes {
			cs = append(cs, Chunk{Name: "o", Start: at, End: -1, Size: n})
			at += n
		}
		return cs
	}
	rng := func(a, b, size int64) Chunk { return Chunk{Name: "r", Start: a, End: b, Size: size} }
	for _, tc := range []struct {
		name   string
		chunks []Chunk
		v2     bool
		size   int64
		ok     bool
	}{
		{"v2 from 1", nums(1, 2, 3), true, 3, true},
		{"gap", nums(1, 3), true, 0, false},
		{"v1 gap", nums(1, 3), false, 0, false},
		{"v2 from 0 refused", nums(0, 1), true, 0, false},
		{"v1 from 0", nums(0, 1), false, 2, true},
		{"starts at 2", nums(2, 3), false, 0, false},
		{"v1 offsets", offs(10, 10, 3), false, 23, true},
		{"v2 offsets refused", offs(10, 10, 3), true, 0, false},
		{"offsets with a gap", []Chunk{{Start: 0, End: -1, Size: 10}, {Start: 11, End: -1, Size: 1}}, false, 0, false},
		{"empty", nil, true, 0, true},
		{"ranges", []Chunk{rng(0, 9, 10), rng(10, 14, 5)}, false, 15, true},
		{"range gap", []Chunk{rng(0, 9, 10), rng(11, 14, 4)}, false, 0, false},
		{"range short", []Chunk{rng(0, 9, 9), rng(10, 14, 5)}, false, 0, false},
		{"range not at 0", []Chunk{rng(1, 9, 9)}, false, 0, false},
		{"mixed", []Chunk{rng(0, 0, 1), {Name: "1", Start: 1, End: -1, Size: 1}}, false, 0, false},
	} {
		size, err := Whole(tc.chunks, tc.v2)
		if (err == nil) != tc.ok || size != tc.size {
			t.Errorf("%s: Whole = %d, %v; want %d, ok %v", tc.name, size, err, tc.size, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrGap) {
			t.Errorf("%s: %v is not ErrGap", tc.name, err)
		}
	}
}

// TestRestart: an upload (its info and chunks) survives reopening the
// store, as after a restart, and assembles as before.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	info := Info{Destination: "/alice/f.bin", TotalLength: 6}
	if err := s.Create("alice", "u", info); err != nil {
		t.Fatal(err)
	}
	write(t, s, "alice", "u", "2", "def")
	s = open(t, dir, Options{})
	write(t, s, "alice", "u", "1", "abc")
	got, _, err := s.Info("alice", "u")
	if err != nil || got.Destination != info.Destination || got.TotalLength != 6 || got.Created.IsZero() {
		t.Fatalf("Info after restart = %+v, %v", got, err)
	}
	if b, err := assemble(t, s, "alice", "u", false); err != nil || b != "abcdef" {
		t.Fatalf("assembled %q, %v", b, err)
	}
}

// TestPrincipals: uploads are per principal; the same id of two
// principals are two uploads; any principal name is safe.
func TestPrincipals(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	names := []string{"alice", "", "../bob", "a/b", strings.Repeat("é", 200), "\x00"}
	for i, p := range names {
		if err := s.Create(p, "same", Info{TotalLength: -1}); err != nil {
			t.Fatalf("Create for %q: %v", p, err)
		}
		write(t, s, p, "same", "1", names[i])
	}
	for _, p := range names {
		if b, err := assemble(t, s, p, "same", false); err != nil || b != p {
			t.Errorf("principal %q reads %q, %v", p, b, err)
		}
	}
	if err := s.Create("alice", "same", Info{}); !errors.Is(err, ErrExist) {
		t.Errorf("second Create = %v, want ErrExist", err)
	}
	if _, _, err := s.WriteChunk("mallory", "same", "1", strings.NewReader("x"), 1, nil); !errors.Is(err, ErrNotExist) {
		t.Errorf("another principal's chunk = %v, want ErrNotExist", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.ContainsAny(e.Name(), "./\x00") || len(e.Name()) > 255 {
			t.Errorf("principal folder %q", e.Name())
		}
	}
}

func TestBounds(t *testing.T) {
	s := open(t, t.TempDir(), Options{MaxPerPrincipal: 2, MaxBytesPerPrincipal: 10})
	for _, id := range []string{"a", "b"} {
		if err := s.Create("u", id, Info{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create("u", "c", Info{}); !errors.Is(err, ErrTooMany) {
		t.Errorf("third upload = %v, want ErrTooMany", err)
	}
	if err := s.Create("other", "c", Info{}); err != nil {
		t.Errorf("another principal's upload = %v", err)
	}
	write(t, s, "u", "a", "1", "123456")
	if _, _, err := s.WriteChunk("u", "b", "1", strings.NewReader("12345"), 5, nil); !errors.Is(err, ErrTooManyBytes) {
		t.Errorf("announced over the bound = %v", err)
	}
	if _, _, err := s.WriteChunk("u", "b", "1", strings.NewReader("12345"), -1, nil); !errors.Is(err, ErrTooManyBytes) {
		t.Errorf("unannounced over the bound = %v", err)
	}
	if write(t, s, "u", "a", "1", "1234567890") != true { // a retry frees what it replaces
		t.Error("retry not reported as replacing")
	}
	if ch, _ := s.Chunks("u", "b"); len(ch) != 0 {
		t.Errorf("a refused chunk was kept: %+v", ch)
	}
	if err := s.Remove("u", "a"); err != nil {
		t.Fatal(err)
	}
	write(t, s, "u", "b", "1", "1234567890")
}

// TestBusy: an upload being assembled takes no chunk and is not removed
// or swept; one being written is not assembled.
func TestBusy(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	s.Create("u", "x", Info{})
	write(t, s, "u", "x", "1", "a")
	a, err := s.Open("u", "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.WriteChunk("u", "x", "2", strings.NewReader("b"), 1, nil); !errors.Is(err, ErrBusy) {
		t.Errorf("chunk during assembly = %v", err)
	}
	if err := s.Remove("u", "x"); !errors.Is(err, ErrBusy) {
		t.Errorf("Remove during assembly = %v", err)
	}
	if _, err := s.Open("u", "x"); !errors.Is(err, ErrBusy) {
		t.Errorf("second Open = %v", err)
	}
	if n, err := s.Sweep(time.Now().Add(time.Hour)); n != 0 || err != nil {
		t.Errorf("Sweep removed %d (%v) during assembly", n, err)
	}
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Info("u", "x"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Info after Remove = %v", err)
	}
	s.Create("u", "y", Info{})
	_, _, err = s.WriteChunk("u", "y", "1", readerFunc(func([]byte) (int, error) {
		if _, err := s.Open("u", "y"); !errors.Is(err, ErrBusy) {
			t.Errorf("Open during a chunk write = %v", err)
		}
		return 0, io.EOF
	}), -1, nil)
	if err != nil {
		t.Fatal(err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

// TestSweep removes the uploads untouched since the cutoff and the temp
// files a crash left, and keeps the others.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	s.Create("u", "old", Info{})
	write(t, s, "u", "old", "1", "a")
	s.Create("u", "new", Info{})
	past := time.Now().Add(-48 * time.Hour)
	folder := filepath.Join(dir, principalKey("u"))
	if err := os.Chtimes(filepath.Join(folder, "old"), past, past); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(folder, "new", tempPrefix+"123")
	os.WriteFile(leftover, []byte("x"), 0o600)
	os.Chtimes(leftover, past, past)
	young := filepath.Join(folder, "new", tempPrefix+"456") // a chunk being written
	os.WriteFile(young, []byte("x"), 0o600)
	removing := filepath.Join(folder, removingPrefix+"cut-short") // a removal a crash cut short
	os.MkdirAll(removing, 0o700)
	os.WriteFile(filepath.Join(removing, "1"), []byte("x"), 0o600)
	n, err := s.Sweep(time.Now().Add(-24 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young temp file was swept: %v", err)
	}
	if _, err := os.Stat(removing); !os.IsNotExist(err) {
		t.Errorf("a folder being removed when the server died was kept: %v", err)
	}
	ups, _ := s.List("u")
	if len(ups) != 1 || ups[0].ID != "new" {
		t.Errorf("after the sweep: %+v", ups)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temp file kept: %v", err)
	}
}

// TestRemoveAfterCrash: a removal a crash cut short (its folder renamed,
// not yet removed) is not in the way of removing the same id again.
func TestRemoveAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	s.Create("u", "x", Info{})
	write(t, s, "u", "x", "1", "a")
	folder := filepath.Join(dir, principalKey("u"), "x")
	if err := os.Rename(folder, filepath.Join(filepath.Dir(folder), removingPrefix+"x")); err != nil {
		t.Fatal(err)
	}
	s.Create("u", "x", Info{})
	write(t, s, "u", "x", "1", "b")
	if err := s.Remove("u", "x"); err != nil {
		t.Fatalf("Remove after a cut-short removal: %v", err)
	}
}

// TestCheckRefusesChunk: a chunk check refuses leaves no chunk (and the
// one it would replace whole).
func TestCheckRefusesChunk(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	s.Create("u", "x", Info{})
	write(t, s, "u", "x", "1", "good")
	bad := errors.New("bad")
	if _, _, err := s.WriteChunk("u", "x", "1", strings.NewReader("evil"), 4, func(int64) error { return bad }); !errors.Is(err, bad) {
		t.Fatalf("refused write = %v", err)
	}
	if b, err := assemble(t, s, "u", "x", false); err != nil || b != "good" {
		t.Errorf("after a refused retry: %q, %v", b, err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.dir, principalKey("u"), "x"))
	if len(entries) != 2 { // .info and 1
		t.Errorf("left behind: %v", entries)
	}
}

// TestAssemblyIntoFile: io.Copy of the assembly into a file (the kernel's
// copy, through WriteTo) gives the chunks in order, and a chunk that
// changed size behind the store's back fails it.
func TestAssemblyIntoFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	s.Create("u", "x", Info{})
	for _, c := range [][2]string{{"2", "world"}, {"1", "hello, "}} {
		write(t, s, "u", "x", c[0], c[1])
	}
	a, err := s.Open("u", "x")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if n, err := io.Copy(out, a.Reader()); err != nil || n != 12 {
		t.Fatalf("io.Copy = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(out.Name()); string(b) != "hello, world" {
		t.Errorf("assembled %q", b)
	}
	os.WriteFile(filepath.Join(dir, principalKey("u"), "x", "2"), []byte("world!"), 0o600)
	if _, err := io.ReadAll(a.Reader()); err == nil {
		t.Error("a chunk that grew went unnoticed by Read")
	}
	if _, err := io.Copy(out, a.Reader()); err == nil {
		t.Error("a chunk that grew went unnoticed by WriteTo")
	}
	a.Close()
}
