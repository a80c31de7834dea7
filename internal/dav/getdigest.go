package dav

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"

	"github.com/atomdav/atomdav/storage/localfs"
)

// reprDigest answers Want-Repr-Digest (RFC 9530 §4) on GET and HEAD with
// Repr-Digest, for the algorithm the client prefers among sha-256 and
// sha-512: from the file's record when it fits the file and holds it,
// else by reading and hashing the file; then the record is written
// afresh with every configured digest and that one, so that oc:checksums
// is back for a file that changed behind the server's back, and the next
// request for it reads nothing (a HEAD must not cost a read of the file
// each time). f is read from the start and left there.
func (h *Handler) reprDigest(w http.ResponseWriter, r *http.Request, p string, f localfs.File, fi fs.FileInfo, want string) error {
	a, ok := wantDigest(want)
	if !ok {
		return nil
	}
	props, err := h.props.Props(r.Context(), p)
	if err != nil {
		return err
	}
	sums, valid := validSums(props, fi)
	if !valid || sums[a] == nil {
		// Hashing reads the whole file for a request of a few bytes: it
		// holds an upload slot (max-uploads, max-uploads-per-user bound
		// it, as they bound the bodies being hashed), and without one the
		// answer goes without Repr-Digest, which RFC 9530 §4 allows.
		release, err := h.uploads.take(h.principal)
		if err != nil {
			return nil
		}
		defer release()
		if sums, err = h.hashFile(r, p, f, fi, a); err != nil {
			return err
		}
	}
	w.Header().Set("Repr-Digest", algos[a].rfc+"=:"+base64.StdEncoding.EncodeToString(sums[a])+":")
	return nil
}

// hashFile reads f, the file fi describes at p, and computes the
// configured digests and a's; when the file did not change while it was
// read it records them, under p's path lock (a PUT may be replacing it).
func (h *Handler) hashFile(r *http.Request, p string, f localfs.File, fi fs.FileInfo, a algo) (digests, error) {
	set := h.sums
	set.add(a)
	_, sums, err := copyHashing(io.Discard, ctxReader{r.Context(), f}, set)
	if err != nil {
		return sums, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return sums, err
	}
	after, err := f.Stat()
	if err != nil {
		return sums, err
	}
	st, ok := localfs.StampOf(fi)
	if st2, ok2 := localfs.StampOf(after); !ok || !ok2 || st != st2 {
		return sums, nil // changed while read: answer, but record nothing
	}
	return sums, h.recordSums(r, p, st, sums)
}

// recordSums writes the record of p's content of stamp st with sums,
// keeping the id p reports, if p still has that stamp.
func (h *Handler) recordSums(r *http.Request, p string, st localfs.Stamp, sums digests) error {
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		return err
	}
	defer unlock()
	fi, err := h.fs.Stat(r.Context(), p)
	if err != nil {
		return nil // gone meanwhile
	}
	if now, ok := localfs.StampOf(fi); !ok || now != st {
		return nil
	}
	props, err := h.props.Props(r.Context(), p)
	if err != nil {
		return err
	}
	rec := contentRecord{id: reportedID(props, fi), st: st, sums: sums}
	return h.props.PatchProps(r.Context(), p, map[xml.Name][]byte{nameContent: rec.encode()}, nil)
}

// ctxReader ends a read of r once ctx is done: a client that goes away
// stops the hashing of a file it asked a digest of.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
