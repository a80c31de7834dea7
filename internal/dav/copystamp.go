package dav

import (
	"context"
	"encoding/xml"
	"io/fs"
	"path"
	"sync"

	"github.com/atomdav/atomdav/storage/localfs"
)

// restampWorkers is how many record rewrites a COPY has in flight: the
// store's group commit makes them share fsyncs.
const restampWorkers = 16

// restamp is one record to rewrite: the record at dst was made for the
// content of stamp (what src, or dst before an mtime change, was); it
// becomes a record of dst's content as it is now when it fits, and goes
// when it does not.
type restamp struct {
	dst   string
	src   fs.FileInfo // the content the record must fit; nil: gone
	now   fs.FileInfo // dst now
	dead  map[xml.Name][]byte
	fresh bool // a copy: the id becomes the one dst's inode gives
}

// apply rewrites or removes the record.
func (h *Handler) applyRestamp(ctx context.Context, j restamp) error {
	if _, ok := recordOf(j.dead); !ok {
		return nil
	}
	var sums digests
	valid := false
	if j.src != nil {
		sums, valid = validSums(j.dead, j.src)
	}
	st, stOK := localfs.StampOf(j.now)
	if !valid || !stOK {
		return h.props.PatchProps(ctx, j.dst, nil, []xml.Name{nameContent})
	}
	id := derivedID(st.Ino)
	if !j.fresh {
		id = reportedID(j.dead, j.src)
	}
	next := contentRecord{id: id, st: st, sums: sums}
	return h.props.PatchProps(ctx, j.dst, map[xml.Name][]byte{nameContent: next.encode()}, nil)
}

// restampCopy gives the files a COPY made (src copied to dst) records of
// their own: the copied record names the source's inode and stamp, so the
// copy reported neither its checksums nor an id of its own; now each
// keeps the digests (the bytes are the source's, whose record fitted it)
// under the copy's stamp, with the id its inode gives. A record that did
// not fit the source is removed. The tree is walked as the copy walked
// it, one store read per folder, the rewrites run restampWorkers at a
// time; the walk stops with ctx.
func (h *Handler) restampCopy(ctx context.Context, src, dst string) error {
	fi, err := h.fs.Stat(ctx, dst)
	if err != nil {
		return nil // nothing copied
	}
	jobs := make(chan restamp)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range restampWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := h.applyRestamp(ctx, j); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	err = h.walkCopied(ctx, src, dst, fi, jobs)
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	return first
}

// walkCopied sends a restamp for every file with a record under dst (dst
// itself when it is a file), the one at the same place under src being
// its source.
func (h *Handler) walkCopied(ctx context.Context, src, dst string, fi fs.FileInfo, jobs chan<- restamp) error {
	if !fi.IsDir() {
		dead, err := h.props.Props(ctx, dst)
		if err != nil || dead[nameContent] == nil {
			return err
		}
		return h.sendRestamp(ctx, src, dst, fi, dead, jobs)
	}
	folder, err := h.props.FolderProps(ctx, dst)
	if err != nil {
		return err
	}
	entries, err := h.fs.ReadDir(dst)
	if err != nil {
		return nil // removed meanwhile: nothing to stamp
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, s := path.Join(dst, e.Name()), path.Join(src, e.Name())
		if h.fs.IsHidden(d) || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		if e.IsDir() {
			cfi, err := e.Info()
			if err == nil {
				err = h.walkCopied(ctx, s, d, cfi, jobs)
			}
			if err != nil {
				return err
			}
			continue
		}
		if folder[d][nameContent] == nil {
			continue
		}
		cfi, err := e.Info()
		if err != nil {
			continue
		}
		if err := h.sendRestamp(ctx, s, d, cfi, folder[d], jobs); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) sendRestamp(ctx context.Context, src, dst string, now fs.FileInfo, dead map[xml.Name][]byte, jobs chan<- restamp) error {
	j := restamp{dst: dst, now: now, dead: dead, fresh: true}
	if sfi, err := h.fs.Stat(ctx, src); err == nil {
		j.src = sfi
	}
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
