package dav

import (
	"io"
	"sync"
)

// uploadFile is where an upload's body goes: written in order, and read
// back by the hashes that trail the write (*localfs.Upload).
type uploadFile interface {
	io.Writer
	io.ReaderAt
}

// sumsResult is what the trailing hashes give when they are done.
type sumsResult struct {
	sums digests
	err  error
}

// copyTrailing copies r into w and computes the digests of set over the
// same bytes, returning the count and a wait that gives the digests. A
// body that fits one buffer is hashed inline. A longer one is hashed from
// w itself, read back (from the page cache) right behind the write by
// copyHashing's goroutines, so a hash slower than the network (MD5, about
// 650 MB/s on one core) neither slows the write down nor needs the body
// held in memory: what it has not caught up with when the body ends it
// finishes while the caller fsyncs the content (commitUpload waits for it
// beside the fsync, before the rename). After an error the caller aborts
// the upload; the hashes then stop at the write's error.
func copyTrailing(w uploadFile, r io.Reader, set algoSet) (int64, func() (digests, error), error) {
	if set == 0 {
		n, err := io.Copy(w, r)
		return n, noSums, err
	}
	buf := hashBufPool.Get().(*[]byte)
	defer hashBufPool.Put(buf)
	m, rerr := fill(r, *buf)
	if rerr == io.EOF { // the whole body in one buffer
		var sums digests
		for a := range nAlgos {
			if set.has(a) {
				h := algos[a].new()
				h.Write((*buf)[:m])
				sums[a] = h.Sum(nil)
			}
		}
		_, err := w.Write((*buf)[:m])
		return int64(m), func() (digests, error) { return sums, nil }, err
	}
	if rerr != nil {
		return 0, noSums, rerr
	}
	t := &trail{src: w}
	t.cond.L = &t.mu
	res := make(chan sumsResult, 1)
	go func() {
		_, sums, err := copyHashing(io.Discard, t, set)
		res <- sumsResult{sums, err}
	}()
	tw := trailWriter{w: w, t: t}
	_, err := tw.Write((*buf)[:m])
	n := int64(m)
	if err == nil {
		var k int64
		k, err = io.CopyBuffer(tw, r, *buf)
		n += k
	}
	t.end(err)
	return n, sync.OnceValues(func() (digests, error) {
		out := <-res
		return out.sums, out.err
	}), err
}

func noSums() (digests, error) { return digests{}, nil }

// trail is an io.Reader of the bytes written to src so far: Read waits for
// the writer, and ends (io.EOF) once the writer has ended and every byte
// has been read, or at once with the writer's error.
type trail struct {
	src     io.ReaderAt
	mu      sync.Mutex
	cond    sync.Cond
	written int64 // bytes in src, under mu
	ended   bool  // no more will be written, under mu
	err     error // the write's error, under mu
	off     int64 // bytes read so far: the reader's alone
}

func (t *trail) wrote(n int) {
	t.mu.Lock()
	t.written += int64(n)
	t.mu.Unlock()
	t.cond.Signal()
}

func (t *trail) end(err error) {
	t.mu.Lock()
	t.ended, t.err = true, err
	t.mu.Unlock()
	t.cond.Signal()
}

func (t *trail) Read(p []byte) (int, error) {
	t.mu.Lock()
	for t.off == t.written && !t.ended {
		t.cond.Wait()
	}
	avail, err := t.written-t.off, t.err
	t.mu.Unlock()
	switch {
	case err != nil:
		return 0, err
	case avail == 0:
		return 0, io.EOF
	}
	n, err := t.src.ReadAt(p[:min(int64(len(p)), avail)], t.off)
	t.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// trailWriter writes to w and tells the trail how far the bytes go.
type trailWriter struct {
	w io.Writer
	t *trail
}

func (tw trailWriter) Write(p []byte) (int, error) {
	n, err := tw.w.Write(p)
	tw.t.wrote(n)
	return n, err
}
