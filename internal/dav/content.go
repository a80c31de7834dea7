package dav

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"github.com/atomdav/atomdav/storage/localfs"
)

// contentNS is the server's reserved property namespace: the content
// record of every file. No
// client sees (PROPFIND leaves it out, 404 by name) or changes (PROPPATCH
// 403) a name in it.
const contentNS = "urn:x-atomdav:"

var nameContent = xml.Name{Space: contentNS, Local: "content"}

// reserved reports whether n is in the server's reserved namespace.
func reserved(n xml.Name) bool { return n.Space == contentNS }

// contentRecord is what the server knows of a file's content, kept as
// the dead property nameContent so that it moves, is copied and is
// deleted with the file through the store's intents. Its digests hold
// only while the file's stamp is st; its id is the file's oc:fileid while
// the file's inode is st.Ino or was (see reportedID).
type contentRecord struct {
	id uint64
	st localfs.Stamp
	// was is the inode of the file this content replaced (0: none): a
	// crash between the record's commit and the rename leaves that file,
	// which keeps its id.
	was  uint64
	sums digests // of the content of stamp st
}

// encode renders the record as a standalone XML element, the form every
// dead property is stored in.
func (c *contentRecord) encode() []byte {
	b := make([]byte, 0, 256)
	b = append(b, `<a:content xmlns:a="`+contentNS+`"`...)
	b = appendAttr(b, "id", strconv.FormatUint(c.id, 10))
	b = appendAttr(b, "ino", strconv.FormatUint(c.st.Ino, 10))
	b = appendAttr(b, "size", strconv.FormatInt(c.st.Size, 10))
	b = appendAttr(b, "mtime", strconv.FormatInt(c.st.Mtime, 10))
	b = appendAttr(b, "was", strconv.FormatUint(c.was, 10))
	for a, s := range c.sums {
		if s != nil {
			b = appendAttr(b, algos[a].conf, hex.EncodeToString(s))
		}
	}
	return append(b, "/>"...)
}

func appendAttr(b []byte, k, v string) []byte {
	b = append(b, ' ')
	b = append(b, k...)
	b = append(b, `="`...)
	b = append(b, v...)
	return append(b, '"')
}

// parseContent reads a record encode wrote; anything else (damaged, or
// from a later version) is no record.
func parseContent(v []byte) (c contentRecord, ok bool) {
	rest, ok := bytes.CutPrefix(v, []byte(`<a:content xmlns:a="`+contentNS+`"`))
	if !ok {
		return c, false
	}
	seen := 0
	for len(rest) > 0 && rest[0] == ' ' {
		kv, tail, found := bytes.Cut(rest[1:], []byte(`"`))
		if !found || !bytes.HasSuffix(kv, []byte("=")) {
			return c, false
		}
		val, tail2, found := bytes.Cut(tail, []byte(`"`))
		if !found {
			return c, false
		}
		if !c.setField(string(kv[:len(kv)-1]), string(val)) {
			return c, false
		}
		seen++
		rest = tail2
	}
	return c, string(rest) == "/>" && seen >= 5
}

// setField sets one attribute of a record being parsed.
func (c *contentRecord) setField(k, v string) bool {
	var err error
	switch k {
	case "id":
		c.id, err = strconv.ParseUint(v, 10, 64)
	case "ino":
		c.st.Ino, err = strconv.ParseUint(v, 10, 64)
	case "size":
		c.st.Size, err = strconv.ParseInt(v, 10, 64)
	case "mtime":
		c.st.Mtime, err = strconv.ParseInt(v, 10, 64)
	case "was":
		c.was, err = strconv.ParseUint(v, 10, 64)
	default:
		a, ok := algoByConf(k)
		if !ok {
			return true // an algorithm of a later version
		}
		c.sums[a], err = hex.DecodeString(v)
		if err == nil && len(c.sums[a]) != algos[a].new().Size() {
			return false
		}
	}
	return err == nil
}

// recordOf is the content record among a resource's dead properties.
func recordOf(dead map[xml.Name][]byte) (contentRecord, bool) {
	v, ok := dead[nameContent]
	if !ok {
		return contentRecord{}, false
	}
	return parseContent(v)
}

// validSums returns the digests recorded for the file fi describes, or
// false when they are not known to be of its current content: no record,
// or one whose stamp is not the file's (a change behind the server's
// back, or a crash before an upload's rename).
func validSums(dead map[xml.Name][]byte, fi fs.FileInfo) (digests, bool) {
	if fi.IsDir() {
		return digests{}, false
	}
	rec, ok := recordOf(dead)
	if !ok {
		return digests{}, false
	}
	st, ok := localfs.StampOf(fi)
	if !ok || st != rec.st {
		return digests{}, false
	}
	return rec.sums, true
}

// File ids: a resource without a record that fits it reports an id
// derived from its inode, so reading ids writes nothing, a MOVE (same
// inode) keeps it and a COPY (new inodes) gets new ones. A record, once
// written, carries the id the resource reported until then (a PUT over
// an existing file carries it to the new inode); a new file gets a random
// id. Derived ids lie below 2^52, random ones in [2^52, 2^53): never the
// same, and all exact as JavaScript numbers. Two random ids collide with
// odds n²/2^53 for n files made by PUT (one in 9,000 for a million files).
const (
	derivedIDs = 1 << 52
	randomIDs  = 1 << 52
)

// reportedID is the oc:fileid of the resource fi describes, with its
// dead properties.
func reportedID(dead map[xml.Name][]byte, fi fs.FileInfo) uint64 {
	st, ok := localfs.StampOf(fi)
	if !ok {
		return 0
	}
	if rec, ok := recordOf(dead); ok && !fi.IsDir() && (rec.st.Ino == st.Ino || rec.was != 0 && rec.was == st.Ino) {
		return rec.id
	}
	return derivedID(st.Ino)
}

func derivedID(ino uint64) uint64 {
	if id := ino % derivedIDs; id != 0 {
		return id
	}
	return derivedIDs - 1
}

// randomID draws a new file's id.
func randomID() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return randomIDs + binary.LittleEndian.Uint64(b[:])%randomIDs
}

// instanceID is this share's id in oc:id and OC-FileId (Nextcloud's
// "instanceid"). It is derived from the share's root folder (its inode),
// not made at random and stored: every server on one store, and every
// restart, computes the same one without a write that two instances
// sharing a store could race to make differently. A share restored into
// a new folder gets a new one, as its files get new derived ids.
type instanceID struct {
	mu sync.Mutex
	id string
}

// get returns the id, computed on first use.
func (in *instanceID) get(ctx context.Context, fsys FileSystem) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.id != "" {
		return in.id, nil
	}
	fi, err := fsys.Stat(ctx, "/")
	if err != nil {
		return "", err
	}
	st, ok := localfs.StampOf(fi)
	if !ok {
		return "", errors.New("the share's root has no inode")
	}
	sum := sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("atomdav instance "), st.Ino))
	in.id = "oc" + hex.EncodeToString(sum[:5])
	return in.id, nil
}

// ocID is Nextcloud's oc:id and OC-FileId: the file id, zero-padded to 8
// digits, then the instance id.
func ocID(id uint64, instance string) string {
	s := strconv.FormatUint(id, 10)
	if len(s) < 8 {
		s = strings.Repeat("0", 8-len(s)) + s
	}
	return s + instance
}

// ocChecksums renders oc:checksums' inner XML, ownCloud's form: one
// oc:checksum of "SHA1:… MD5:… ADLER32:…" (rclone reads SHA1 and MD5 from
// it); false when sums holds none.
func ocChecksums(sums digests) (string, bool) {
	var b strings.Builder
	for a, s := range sums {
		if s == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(algos[a].oc)
		b.WriteByte(':')
		b.WriteString(hex.EncodeToString(s))
	}
	if b.Len() == 0 {
		return "", false
	}
	return `<oc:checksum xmlns:oc="` + ocNS + `">` + b.String() + `</oc:checksum>`, true
}

// withInstance is a copy of h, for one request, that knows the instance
// id (h is shared by concurrent requests).
func (h *Handler) withInstance(ctx context.Context) (*Handler, error) {
	id, err := h.ids.get(ctx, h.fs)
	if err != nil {
		return h, err
	}
	v := *h
	v.instance = id
	return &v, nil
}
