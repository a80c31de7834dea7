package localfs

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// ErrNotFile is returned for a change that applies to files only (the
// execute bits) asked of a folder.
var ErrNotFile = errors.New("localfs: applies to files only")

// liveChange is the record of a settable live property's change
// (storage.LiveLog): what it sets, and the file as it was when the change
// was prepared, so that recovery can tell a change still to make (the file
// is as it was) or made but perhaps not yet on disk (the file shows it)
// from one a later change overtook (a PUT's new file, a later chmod): that
// one is dropped, never re-applied over newer content.
type liveChange struct {
	Mtime   int64  `json:"mtime,omitempty"` // new modification time, Unix ns; 0: not an mtime change
	Mode    uint32 `json:"mode,omitempty"`  // new permission bits; 0 with Mtime 0: chmod to 0
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Dir     bool   `json:"dir,omitempty"`
	Size    int64  `json:"size"`
	OldTime int64  `json:"oldMtime"`
	OldMode uint32 `json:"oldMode"`
}

// PrepareMtime returns the record of setting name's modification time to
// t, for storage.LiveLog.PatchPropsLive; it changes nothing. Folders too.
func (f *FS) PrepareMtime(name string, t time.Time) ([]byte, error) {
	ch, err := f.prepareLive(name)
	if err != nil {
		return nil, err
	}
	ch.Mtime = t.UnixNano()
	if ch.Mtime == 0 {
		ch.Mtime = 1 // the epoch itself, give or take a nanosecond: 0 means no mtime
	}
	return json.Marshal(ch)
}

// PrepareExec returns the record of setting (on) or clearing the execute
// bits of the file name: set where the read bits are, as chmod +x does
// under a 022 umask. A folder is refused with ErrNotFile.
func (f *FS) PrepareExec(name string, on bool) ([]byte, error) {
	ch, err := f.prepareLive(name)
	if err != nil {
		return nil, err
	}
	if ch.Dir {
		return nil, ErrNotFile
	}
	mode := ch.OldMode &^ 0o111
	if on {
		mode |= (ch.OldMode & 0o444) >> 2
	}
	ch.Mode = mode
	return json.Marshal(ch)
}

// prepareLive reads what a record keeps of the file as it is.
func (f *FS) prepareLive(name string) (liveChange, error) {
	file, err := f.Open(name)
	if err != nil {
		return liveChange{}, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return liveChange{}, err
	}
	return stateOf(fi), nil
}

// stateOf is the part of a record that describes the file as it is.
func stateOf(fi fs.FileInfo) liveChange {
	ch := liveChange{Dir: fi.IsDir(), Size: fi.Size(), OldTime: fi.ModTime().UnixNano(), OldMode: uint32(fi.Mode().Perm())}
	if dev, ino, ok := inodeOf(fi); ok {
		ch.Dev, ch.Ino = dev, ino
	}
	if ch.Dir {
		ch.Size = 0 // a folder's size follows its entries
	}
	return ch
}

// ApplyLive makes the change a Prepare record describes and makes it
// durable (fsync of the file: its inode changed, which fdatasync would not
// cover), unless Options.Relaxed. Applying a record twice is harmless.
func (f *FS) ApplyLive(name string, record []byte) error {
	_, err := f.applyLive(name, record, false)
	return err
}

// applyLive applies record to name through one open file, so that the file
// judged is the file changed. With judge it first drops (applied false) a
// record the file no longer matches: gone, replaced, or changed since.
func (f *FS) applyLive(name string, record []byte, judge bool) (applied bool, err error) {
	var ch liveChange
	if err := json.Unmarshal(record, &ch); err != nil {
		if judge {
			return false, nil // not ours to apply: drop it
		}
		return false, fmt.Errorf("localfs: malformed live record %q: %w", record, err)
	}
	file, err := f.Open(name)
	if judge && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, ErrNotDir)) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return false, err
	}
	set := true
	if judge {
		var ok bool
		if ok, set = ch.judge(stateOf(fi)); !ok {
			return false, nil
		}
	}
	if set {
		if err := setLive(file, fi, ch); err != nil {
			return false, err
		}
	}
	if f.opts.Relaxed {
		return true, nil
	}
	return true, file.Sync()
}

// judge tells what recovery does with ch given the file as it is now (cur):
// ok is false when cur is not the file ch was prepared on, or shows
// neither its old value nor the new one (a later change overtook it: drop
// the record); set is true when cur still shows the old value. A file that
// shows the new value is only fsynced, never set again, so a record read
// before a later request replaced it can never undo that request.
func (ch liveChange) judge(cur liveChange) (ok, set bool) {
	if cur.Dev != ch.Dev || cur.Ino != ch.Ino || cur.Dir != ch.Dir || cur.Size != ch.Size {
		return false, false
	}
	oldV, newV, curV := int64(ch.OldMode), int64(ch.Mode), int64(cur.OldMode)
	if ch.Mtime != 0 {
		oldV, newV, curV = ch.OldTime, ch.Mtime, cur.OldTime
	}
	if curV == newV {
		return true, false
	}
	return curV == oldV, curV == oldV
}

// setLive changes file's mtime or permission bits as ch says.
func setLive(file *os.File, fi fs.FileInfo, ch liveChange) error {
	if ch.Mtime == 0 {
		return file.Chmod(fi.Mode().Type() | fs.FileMode(ch.Mode))
	}
	// No portable utimensat on a descriptor: on Linux name the open file
	// through /proc, elsewhere by its path.
	p := file.Name()
	if runtime.GOOS == "linux" {
		if fd := "/proc/self/fd/" + strconv.Itoa(int(file.Fd())); fileExists(fd) {
			p = fd
		}
	}
	return os.Chtimes(p, time.Time{}, time.Unix(0, ch.Mtime))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// RecoverLive re-applies the live changes a crash may have cut off between
// the store commit that recorded them and their fsync (DESIGN §4), drops
// the records a later change overtook, and clears both. It returns the
// records it re-applied. Run it, like Recover, before serving requests.
//
// It takes no path locks and reads every record of the store, which are
// not tied to the instance that wrote them: beside a serving peer it could
// judge that peer's records and undo a later request of the peer. So call
// it only when no other instance serves from the store (internal/server
// and check --repair make sure of that).
func (f *FS) RecoverLive(ctx context.Context) ([]storage.LiveRecord, error) {
	recs, err := f.store.LiveRecords(ctx)
	if err != nil {
		return nil, err
	}
	var applied []storage.LiveRecord
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return applied, err
		}
		ok, err := f.applyLive(r.Path, r.Record, true)
		if err != nil {
			return applied, fmt.Errorf("recover %s of %s: %w", r.Name.Local, r.Path, err)
		}
		if ok {
			applied = append(applied, r)
		}
	}
	for _, r := range recs {
		if err := f.store.ClearLive(ctx, r.Path, map[xml.Name][]byte{r.Name: r.Record}); err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// RevertLive returns the record that puts back what record changes, for
// undoing an ApplyLive in memory (a server whose store keeps no records).
func RevertLive(record []byte) ([]byte, error) {
	var ch liveChange
	if err := json.Unmarshal(record, &ch); err != nil {
		return nil, fmt.Errorf("localfs: malformed live record %q: %w", record, err)
	}
	if ch.Mtime != 0 {
		ch.Mtime, ch.OldTime = max(ch.OldTime, 1), ch.Mtime
	} else {
		ch.Mode, ch.OldMode = ch.OldMode, ch.Mode
	}
	return json.Marshal(ch)
}
