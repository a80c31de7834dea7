package dav

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ownCloud/Nextcloud extensions rclone and other sync clients use, and
// macOS Finder's chunked uploads.
const ocNS = "http://owncloud.org/ns"

var nameOCChecksums = xml.Name{Space: ocNS, Local: "checksums"}

// uploadMeta is what a PUT's headers say about its body beyond HTTP.
type uploadMeta struct {
	// expected is X-Expected-Entity-Length (macOS Finder sends chunked
	// bodies with it): a body of another length is refused. -1 if absent.
	expected int64
	// checksum is OC-Checksum "SHA1:…": the body must match, and the
	// value is kept as the oc:checksums property.
	algo, want string
	sum        hash.Hash
	// mtime is X-OC-Mtime (Unix seconds): the file's modification time.
	mtime    time.Time
	hasMtime bool
}

// parseUploadMeta reads the extension headers of r; malformed ones are 400.
func parseUploadMeta(r *http.Request) (*uploadMeta, error) {
	m := &uploadMeta{expected: -1}
	if v := r.Header.Get("X-Expected-Entity-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, errorf(http.StatusBadRequest, "bad X-Expected-Entity-Length %q", v)
		}
		m.expected = n
	}
	if v := r.Header.Get("OC-Checksum"); v != "" {
		if err := m.parseChecksum(v); err != nil {
			return nil, err
		}
	}
	if v := r.Header.Get("X-OC-Mtime"); v != "" {
		t, err := parseUnixTime(v)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad X-OC-Mtime %q", v)
		}
		m.mtime, m.hasMtime = t, true
	}
	return m, nil
}

// parseChecksum reads OC-Checksum, "ALGO:hex" (its first field when the
// client sends several): SHA1, MD5 or SHA256 with a digest of that
// algorithm's length. A value of white space alone (Unicode's included) or
// a malformed digest is a 400 *Error, never a panic.
func (m *uploadMeta) parseChecksum(v string) error {
	bad := errorf(http.StatusBadRequest, "unsupported OC-Checksum %q (SHA1, MD5 or SHA256 and a hex digest)", v)
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return bad
	}
	algo, want, ok := strings.Cut(fields[0], ":")
	m.algo, m.want = strings.ToUpper(algo), strings.ToLower(want)
	switch m.algo {
	case "SHA1":
		m.sum = sha1.New()
	case "MD5":
		m.sum = md5.New()
	case "SHA256":
		m.sum = sha256.New()
	}
	if !ok || m.sum == nil || len(m.want) != 2*m.sum.Size() || strings.Trim(m.want, "0123456789abcdef") != "" {
		m.sum = nil
		return bad
	}
	return nil
}

// maxUnixTime is the latest X-OC-Mtime accepted, 2262-04-11T23:47:16Z: the
// last second whose nanoseconds since 1970 fit an int64, which os.Chtimes
// hands the kernel (a later time wraps round to 1901 or so).
const maxUnixTime = math.MaxInt64 / 1e9

// settableTime reports whether t can become a file's modification time as
// it is: os.Chtimes passes t.UnixNano(), defined from 1677 to 2262.
func settableTime(t time.Time) bool {
	return !t.Before(time.Unix(0, math.MinInt64)) && !t.After(time.Unix(0, math.MaxInt64))
}

// parseUnixTime reads seconds since the epoch, fractions allowed, from 0
// to maxUnixTime. NaN, infinities and times out of range are errors: they
// used to become some other time (1901) on the disk.
func parseUnixTime(v string) (time.Time, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f >= 0 && f <= maxUnixTime) { // NaN compares false
		return time.Time{}, errors.New("not Unix seconds between 1970 and 2262")
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}

// body wraps the request body so the checksum sees every byte.
func (m *uploadMeta) body(r io.Reader) io.Reader {
	if m.sum == nil {
		return r
	}
	return io.TeeReader(r, m.sum)
}

// verify refuses a body whose length or checksum is not the announced one.
func (m *uploadMeta) verify(n int64) error {
	if m.expected >= 0 && n != m.expected {
		return errorf(http.StatusBadRequest, "body has %d bytes, X-Expected-Entity-Length says %d", n, m.expected)
	}
	if m.sum != nil && hex.EncodeToString(m.sum.Sum(nil)) != m.want {
		return errorf(http.StatusBadRequest, "body does not match OC-Checksum %s:%s", m.algo, m.want)
	}
	return nil
}

// checksumProp is the oc:checksums property PROPFIND reports for the file.
func (m *uploadMeta) checksumProp() []byte {
	return fmt.Appendf(nil, `<oc:checksums xmlns:oc="%s"><oc:checksum>%s:%s</oc:checksum></oc:checksums>`, ocNS, m.algo, m.want)
}

// applyMtime sets X-OC-Mtime on a COPY or MOVE destination and says so.
func (h *Handler) applyMtime(w http.ResponseWriter, r *http.Request, p string) error {
	m, err := parseUploadMeta(r)
	if err != nil || !m.hasMtime {
		return err
	}
	if err := h.fs.Chtimes(p, m.mtime); err != nil {
		return err
	}
	w.Header().Set("X-OC-Mtime", "accepted")
	return nil
}
