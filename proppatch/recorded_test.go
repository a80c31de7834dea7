package proppatch_test

import (
	"context"
	"encoding/xml"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

// recordStore is a memStore that is also a proppatch.LiveStore: it keeps
// the live records beside the properties, and logs its commits.
type recordStore struct {
	*memStore
	log      *journal
	mu       sync.Mutex // guards records
	records  map[xml.Name]string
	clearErr error
}

var _ proppatch.LiveStore = (*recordStore)(nil)

func (s *recordStore) PatchPropsLive(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name, live map[xml.Name][]byte) error {
	if err := s.PatchProps(ctx, path, set, remove); err != nil {
		s.log.add("commit failed")
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, r := range live {
		s.records[n] = string(r)
	}
	s.log.add("commit %d records", len(live))
	return nil
}

func (s *recordStore) ClearLive(_ context.Context, path string, live map[xml.Name][]byte) error {
	s.log.add("clear")
	if s.clearErr != nil {
		return s.clearErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, r := range live {
		if s.records[n] == string(r) {
			delete(s.records, n)
		}
	}
	return nil
}

func (s *recordStore) recorded() map[xml.Name]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.records)
}

// recordedLive is a fakeLive that is also a proppatch.RecordedLive.
type recordedLive struct {
	fakeLive
	prepareErr error
	recordErr  error // from ApplyRecord
}

var _ proppatch.RecordedLive = (*recordedLive)(nil)

func (r *recordedLive) Prepare(ctx context.Context, path string, value []byte, remove bool) ([]byte, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if r.prepareErr != nil {
		r.log.add("prepare %s failed", r.name)
		return nil, r.prepareErr
	}
	r.log.add("prepare %s", r.name)
	return []byte(r.name + " of " + path), nil
}

func (r *recordedLive) ApplyRecord(ctx context.Context, path string, record []byte) error {
	if ctx.Err() != nil {
		r.log.add("apply %s with a canceled context", record)
	}
	if r.recordErr != nil {
		r.log.add("apply %s failed", record)
		return r.recordErr
	}
	r.log.add("apply %s", record)
	return nil
}

type recordedCase struct {
	name      string
	body      string
	live      func(*journal) map[xml.Name]proppatch.LiveProperty
	plain     bool // the store is not a LiveStore
	patchErr  error
	clearErr  error
	cancel    bool // the request's context ends once the store has committed
	want      []int
	wantErr   error
	committed bool // the dead property is stored afterwards
	wantLog   []string
	wantRecs  []string // records left in the store
}

// TestApplyRecorded checks the durable path of DESIGN §4: with a LiveStore
// and RecordedLive properties, the live changes are prepared (nothing
// changes), recorded in the one commit of the dead properties, applied,
// then cleared; a failure at each step leaves all or none, or a record for
// recovery.
func TestApplyRecorded(t *testing.T) {
	t.Parallel()
	body := win(`<D:set><D:prop><W:Win32LastModifiedTime>Mon, 01 Jan 2024 00:00:00 GMT</W:Win32LastModifiedTime><Z:a>1</Z:a></D:prop></D:set>`)
	live := func(mod func(*recordedLive)) func(*journal) map[xml.Name]proppatch.LiveProperty {
		return func(j *journal) map[xml.Name]proppatch.LiveProperty {
			l := &recordedLive{fakeLive: fakeLive{name: "mtime", log: j}}
			if mod != nil {
				mod(l)
			}
			return map[xml.Name]proppatch.LiveProperty{nameMtime: l}
		}
	}
	for _, tt := range []recordedCase{
		{
			name: "RFC4918_9.2/recorded_then_applied_then_cleared", body: body, live: live(nil),
			want: []int{200, 200}, committed: true,
			wantLog: []string{"prepare mtime", "commit 1 records", "apply mtime of /docs/a.txt", "clear"},
		},
		{
			name: "RFC4918_9.2/prepare_failure_changes_nothing", body: body,
			live: live(func(l *recordedLive) { l.prepareErr = statusError(409, "a folder") }),
			want: []int{409, 424}, wantLog: []string{"prepare mtime failed"},
		},
		{
			name: "RFC4918_9.2/commit_failure_applies_nothing", body: body, live: live(nil),
			patchErr: errStoreFull, wantErr: errStoreFull,
			wantLog: []string{"prepare mtime", "commit failed"},
		},
		{
			name: "DESIGN4/apply_failure_leaves_the_record_for_recovery", body: body,
			live:    live(func(l *recordedLive) { l.recordErr = errors.New("EIO") }),
			wantErr: proppatch.ErrLivePending, committed: true,
			wantLog:  []string{"prepare mtime", "commit 1 records", "apply mtime of /docs/a.txt failed"},
			wantRecs: []string{"mtime of /docs/a.txt"},
		},
		{
			name: "DESIGN4/a_failed_clear_is_not_the_request's_failure", body: body, live: live(nil),
			clearErr: errors.New("store gone"), want: []int{200, 200}, committed: true,
			wantLog:  []string{"prepare mtime", "commit 1 records", "apply mtime of /docs/a.txt", "clear"},
			wantRecs: []string{"mtime of /docs/a.txt"},
		},
		{
			name: "DESIGN4/committed_is_applied_even_if_the_client_left", body: body, live: live(nil),
			cancel: true, want: []int{200, 200}, committed: true,
			wantLog: []string{"prepare mtime", "commit 1 records", "apply mtime of /docs/a.txt", "clear"},
		},
		{
			name: "DESIGN4/a_plain_store_takes_the_undo_path", body: body, live: live(nil), plain: true,
			want: []int{200, 200}, committed: true, wantLog: []string{"apply mtime"},
		},
		{
			name: "DESIGN4/one_property_without_records_takes_the_undo_path",
			body: win(`<D:set><D:prop><W:Win32LastModifiedTime>x</W:Win32LastModifiedTime><W:Win32FileAttributes>0</W:Win32FileAttributes><Z:a>1</Z:a></D:prop></D:set>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{
					nameMtime: &recordedLive{fakeLive: fakeLive{name: "mtime", log: j}},
					nameAttrs: &fakeLive{name: "attrs", log: j},
				}
			},
			want: []int{200, 200, 200}, committed: true, wantLog: []string{"apply mtime", "apply attrs"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runRecordedCase(t, tt)
		})
	}
}

var errStoreFull = errors.New("store full")

func runRecordedCase(t *testing.T, tt recordedCase) {
	u, err := proppatch.Parse(strings.NewReader(tt.body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	log := &journal{}
	mem := newMemStore(resource, nil)
	if tt.patchErr != nil {
		mem.patchErr = errStoreFull
	}
	rs := &recordStore{memStore: mem, log: log, records: map[xml.Name]string{}, clearErr: tt.clearErr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := &proppatch.Engine{Store: rs, Live: tt.live(log)}
	if tt.plain {
		e.Store = mem
	}
	if tt.cancel {
		rs.log = &journal{} // the cancel below must not show in the log
		e.Store = &cancelAfterCommit{recordStore: rs, cancel: cancel, log: log}
	}
	res, err := e.Apply(ctx, resource, u)
	if got := log.list(); !slices.Equal(got, tt.wantLog) {
		t.Errorf("log = %q, want %q", got, tt.wantLog)
	}
	if tt.wantErr != nil {
		if !errors.Is(err, tt.wantErr) || res != nil {
			t.Errorf("Apply = %v, %v; want the error %v", res, err, tt.wantErr)
		}
	} else if err != nil {
		t.Fatalf("Apply: %v", err)
	} else {
		var got []int
		for _, o := range res.Outcomes {
			got = append(got, o.Status)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("statuses = %v, want %v", got, tt.want)
		}
	}
	if _, stored := mem.snapshot(resource)[nameA]; stored != tt.committed {
		t.Errorf("dead property stored = %v, want %v", stored, tt.committed)
	}
	recs := slices.Sorted(maps.Values(rs.recorded()))
	if !slices.Equal(recs, tt.wantRecs) {
		t.Errorf("records left = %q, want %q", recs, tt.wantRecs)
	}
}

// cancelAfterCommit ends the request's context once the store commits, as
// a client hanging up at that moment does.
type cancelAfterCommit struct {
	*recordStore
	cancel func()
	log    *journal
}

func (c *cancelAfterCommit) PatchPropsLive(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name, live map[xml.Name][]byte) error {
	err := c.recordStore.PatchPropsLive(ctx, path, set, remove, live)
	c.log.add("commit %d records", len(live))
	c.cancel()
	return err
}

func (c *cancelAfterCommit) ClearLive(ctx context.Context, path string, live map[xml.Name][]byte) error {
	c.log.add("clear")
	return c.recordStore.ClearLive(ctx, path, live)
}
