package dav

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ownCloud/Nextcloud extensions rclone and other sync clients use, and
// macOS Finder's chunked uploads.
const ocNS = "http://owncloud.org/ns"

var (
	nameOCChecksums = xml.Name{Space: ocNS, Local: "checksums"}
	nameOCFileID    = xml.Name{Space: ocNS, Local: "fileid"}
	nameOCID        = xml.Name{Space: ocNS, Local: "id"}
)

// uploadMeta is what a PUT's headers say about its body beyond HTTP.
type uploadMeta struct {
	// expected is X-Expected-Entity-Length (macOS Finder sends chunked
	// bodies with it): a body of another length is refused. -1 if absent.
	expected int64
	// want holds the digests the client announced (OC-Checksum,
	// Content-Digest, Repr-Digest), by algorithm: the body must match
	// each. conflict: two headers gave one algorithm different digests.
	want     digests
	conflict bool
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
	for _, name := range []string{"Content-Digest", "Repr-Digest"} {
		if vs := r.Header.Values(name); len(vs) > 0 {
			d, err := parseDigestField(strings.Join(vs, ", "))
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "bad %s: %w", name, err)
			}
			m.expect(d)
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

// expect adds announced digests.
func (m *uploadMeta) expect(d digests) {
	for a, s := range d {
		if s == nil {
			continue
		}
		if m.want[a] != nil && !bytes.Equal(m.want[a], s) {
			m.conflict = true
		}
		m.want[a] = s
	}
}

// wanted is the set of algorithms the client announced.
func (m *uploadMeta) wanted() algoSet {
	var s algoSet
	for a, d := range m.want {
		if d != nil {
			s.add(algo(a))
		}
	}
	return s
}

// parseChecksum reads OC-Checksum, "ALGO:hex" (its first field when the
// client sends several): SHA1, MD5, ADLER32, SHA256 or SHA512 with a
// digest of that algorithm's length. A value of white space alone
// (Unicode's included) or a malformed digest is a 400 *Error, never a
// panic.
func (m *uploadMeta) parseChecksum(v string) error {
	bad := errorf(http.StatusBadRequest, "unsupported OC-Checksum %q (SHA1, MD5, ADLER32, SHA256 or SHA512 and a hex digest)", v)
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return bad
	}
	name, want, ok := strings.Cut(fields[0], ":")
	if !ok {
		return bad
	}
	for i, a := range algos {
		if !strings.EqualFold(a.oc, name) {
			continue
		}
		d, err := hex.DecodeString(want)
		if err != nil || len(d) != a.new().Size() {
			return bad
		}
		m.want[i] = d
		return nil
	}
	return bad
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

// checked wraps sums so that what it gives has been checked against the
// digests the client announced (a mismatch is its error).
func (m *uploadMeta) checked(sums func() (digests, error)) func() (digests, error) {
	return func() (digests, error) {
		d, err := sums()
		if err == nil {
			err = m.verifySums(d)
		}
		return d, err
	}
}

// verifyLength refuses a body whose length is not the announced one, or
// whose headers announce two digests of one algorithm: checked as soon as
// the body has arrived, before its digests are done.
func (m *uploadMeta) verifyLength(n int64) error {
	if m.expected >= 0 && n != m.expected {
		return errorf(http.StatusBadRequest, "body has %d bytes, X-Expected-Entity-Length says %d", n, m.expected)
	}
	if m.conflict {
		return errorf(http.StatusBadRequest, "the checksum headers announce different digests of one algorithm")
	}
	return nil
}

// verifySums refuses a body whose digests are not the announced ones;
// sums holds the digests of every algorithm announced.
func (m *uploadMeta) verifySums(sums digests) error {
	for a, want := range m.want {
		if want != nil && !bytes.Equal(want, sums[a]) {
			return errorf(http.StatusBadRequest, "body does not match the %s checksum sent", algos[a].oc)
		}
	}
	return nil
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
