package dav

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// TestCopyTrailing checks that the digests trailing the write are those of
// exactly the bytes written, at every size around the buffer boundaries,
// and that a read error ends both the copy and the hashes with it.
func TestCopyTrailing(t *testing.T) {
	set := algoSet(0)
	set.add(algoMD5)
	set.add(algoSHA1)
	for _, size := range []int{0, 1, hashBufSize - 1, hashBufSize, hashBufSize + 1, 5*hashBufSize + 7, 3 << 20} {
		data := bytes.Repeat([]byte("0123456789abcdefg"), size/17+1)[:size]
		f, err := os.Create(filepath.Join(t.TempDir(), "f"))
		if err != nil {
			t.Fatal(err)
		}
		// HalfReader makes the write advance in small, uneven steps, so
		// the hashes wait for it often.
		n, wait, err := copyTrailing(f, iotest.HalfReader(bytes.NewReader(data)), set)
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: copied %d, %v", size, n, err)
		}
		sums, err := wait()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		md, sh := md5.Sum(data), sha1.Sum(data)
		if !bytes.Equal(sums[algoMD5], md[:]) || !bytes.Equal(sums[algoSHA1], sh[:]) {
			t.Errorf("size %d: digests are not those of the bytes written", size)
		}
		if got, _ := os.ReadFile(f.Name()); !bytes.Equal(got, data) {
			t.Errorf("size %d: file holds %d other bytes", size, len(got))
		}
		f.Close()
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cut := errors.New("connection reset")
	body := io.MultiReader(bytes.NewReader(make([]byte, 3*hashBufSize)), iotest.ErrReader(cut))
	if _, wait, err := copyTrailing(f, body, set); !errors.Is(err, cut) {
		t.Fatalf("copy of a body cut short: %v", err)
	} else if _, err := wait(); err == nil {
		t.Fatal("the hashes of a body cut short reported digests")
	}
}
