package dav

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"sync"
)

// algo is a digest algorithm the server computes: for the checksums it
// keeps (Config.Checksums), and to verify one a client sends.
type algo uint8

const (
	algoSHA1 algo = iota
	algoMD5
	algoAdler32
	algoSHA256
	algoSHA512
	nAlgos
)

// algoInfo names an algorithm in each place it appears: the option
// (conf), ownCloud's OC-Checksum and oc:checksums (oc), and RFC 9530's
// Content-Digest, Repr-Digest and Want-Repr-Digest (rfc).
type algoInfo struct {
	conf, oc, rfc string
	new           func() hash.Hash
}

// algos is in the order oc:checksums lists them: ownCloud's SHA1, MD5,
// ADLER32 first.
var algos = [nAlgos]algoInfo{
	algoSHA1:    {"sha1", "SHA1", "sha", sha1.New},
	algoMD5:     {"md5", "MD5", "md5", md5.New},
	algoAdler32: {"adler32", "ADLER32", "adler", func() hash.Hash { return adler32.New() }},
	algoSHA256:  {"sha256", "SHA256", "sha-256", sha256.New},
	algoSHA512:  {"sha512", "SHA512", "sha-512", sha512.New},
}

// ChecksumNames are the algorithms Config.Checksums may name.
var ChecksumNames = func() []string {
	out := make([]string, nAlgos)
	for i, a := range algos {
		out[i] = a.conf
	}
	return out
}()

// DefaultChecksums is the default of Config.Checksums when it is nil:
// the two rclone reads from oc:checksums (MD5 for vendor owncloud, SHA1
// for nextcloud). Each costs CPU on every byte uploaded (MD5 about 1.5
// ms/MB, SHA1 0.6, ADLER32 0.45, SHA256 0.65 with the SHA extensions),
// and put-large must stay within 10% of a server that hashes nothing;
// SHA-256 is still computed on demand for Want-Repr-Digest.
var DefaultChecksums = []string{"md5", "sha1"}

// algoSet is a set of algorithms, one bit each.
type algoSet uint8

func (s algoSet) has(a algo) bool { return s&(1<<a) != 0 }

func (s *algoSet) add(a algo) { *s |= 1 << a }

// parseAlgoSet reads Config.Checksums: names of ChecksumNames, in any case.
func parseAlgoSet(names []string) (algoSet, error) {
	var s algoSet
	for _, n := range names {
		a, ok := algoByConf(n)
		if !ok {
			return 0, fmt.Errorf("dav: unknown checksum algorithm %q (known: %v)", n, ChecksumNames)
		}
		s.add(a)
	}
	return s, nil
}

func algoByConf(name string) (algo, bool) {
	for i, a := range algos {
		if equalFoldASCII(a.conf, name) {
			return algo(i), true
		}
	}
	return 0, false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// digests holds the sums of one content, by algorithm (nil: not
// computed).
type digests [nAlgos][]byte

// hashBufSize is the size of the buffers a body is read into; hashBufs
// of them let the next reads and the write go on while the hashes catch
// up.
const (
	hashBufSize = 256 << 10
	hashBufs    = 4
)

var hashBufPool = sync.Pool{New: func() any { b := make([]byte, hashBufSize); return &b }}

// copyHashing copies r to w and computes the digests of set over the same
// bytes. A body that fits in one buffer is hashed inline; a longer one is
// hashed by one goroutine per algorithm beside the write, each fed the
// buffers the writer fills, so the slowest hash, not their sum, bounds
// the throughput (MD5 is the slowest, about 650 MB/s on one core).
func copyHashing(w io.Writer, r io.Reader, set algoSet) (n int64, sums digests, err error) {
	if set == 0 {
		n, err = io.Copy(w, r)
		return n, sums, err
	}
	var hs [nAlgos]hash.Hash
	for a := range nAlgos {
		if set.has(a) {
			hs[a] = algos[a].new()
		}
	}
	first := hashBufPool.Get().(*[]byte)
	m, rerr := fill(r, *first)
	if rerr == io.EOF { // the whole body in one buffer
		for _, h := range hs {
			if h != nil {
				h.Write((*first)[:m])
			}
		}
		_, err = w.Write((*first)[:m])
		hashBufPool.Put(first)
		return int64(m), sumsOf(&hs), err
	}
	if rerr != nil {
		hashBufPool.Put(first)
		return 0, sums, rerr
	}
	n, err = pipeHashing(w, r, &hs, first)
	return n, sumsOf(&hs), err
}

func sumsOf(hs *[nAlgos]hash.Hash) digests {
	var out digests
	for a, h := range hs {
		if h != nil {
			out[a] = h.Sum(nil)
		}
	}
	return out
}

// chunk is a buffer the writer filled, shared by the hash goroutines; the
// last to be done with it hands it back.
type chunk struct {
	buf  *[]byte
	n    int
	left int32
	mu   sync.Mutex
}

// pipeHashing is copyHashing's path for bodies longer than a buffer:
// first holds the first hashBufSize bytes, read already.
func pipeHashing(w io.Writer, r io.Reader, hs *[nAlgos]hash.Hash, first *[]byte) (int64, error) {
	free := make(chan *[]byte, hashBufs)
	free <- first
	for range hashBufs - 1 {
		free <- hashBufPool.Get().(*[]byte)
	}
	var feeds []chan *chunk
	var wg sync.WaitGroup
	for _, h := range hs {
		if h == nil {
			continue
		}
		ch := make(chan *chunk, hashBufs)
		feeds = append(feeds, ch)
		wg.Add(1)
		go func(h hash.Hash) {
			defer wg.Done()
			for c := range ch {
				h.Write((*c.buf)[:c.n])
				c.mu.Lock()
				c.left--
				last := c.left == 0
				c.mu.Unlock()
				if last {
					free <- c.buf
				}
			}
		}(h)
	}
	n, err := feedChunks(w, r, free, feeds, true)
	for _, ch := range feeds {
		close(ch)
	}
	wg.Wait()
	for range hashBufs {
		hashBufPool.Put(<-free)
	}
	return n, err
}

// feedChunks reads r into the free buffers, hands each to every feed and
// writes it to w, until r ends or fails. The first buffer taken is full
// already when primed.
func feedChunks(w io.Writer, r io.Reader, free chan *[]byte, feeds []chan *chunk, primed bool) (int64, error) {
	var n int64
	for {
		buf := <-free
		m := len(*buf)
		var rerr error
		if !primed {
			m, rerr = fill(r, *buf)
		}
		primed = false
		if m > 0 {
			c := &chunk{buf: buf, n: m, left: int32(len(feeds))}
			for _, ch := range feeds {
				ch <- c
			}
			if _, err := w.Write((*buf)[:m]); err != nil {
				return n, err
			}
			n += int64(m)
		} else {
			free <- buf
		}
		switch rerr {
		case nil:
		case io.EOF:
			return n, nil
		default:
			return n, rerr
		}
	}
}

// fill reads r into buf until it is full (nil), r ends (io.EOF, with
// what was read) or fails. Unlike io.ReadFull it keeps a reader's own
// io.ErrUnexpectedEOF (a body cut short) apart from a clean end.
func fill(r io.Reader, buf []byte) (int, error) {
	m := 0
	for m < len(buf) {
		k, err := r.Read(buf[m:])
		m += k
		if err != nil {
			return m, err
		}
	}
	return m, nil
}
