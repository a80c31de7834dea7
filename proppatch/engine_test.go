package proppatch_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

const resource = "/docs/a.txt"

var (
	nameA     = xml.Name{Space: "urn:z", Local: "a"}
	nameB     = xml.Name{Space: "urn:z", Local: "b"}
	nameC     = xml.Name{Space: "urn:z", Local: "c"}
	nameOld   = xml.Name{Space: "urn:z", Local: "old"}
	nameMtime = xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}
	nameAttrs = xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32FileAttributes"}
)

// win wraps instructions in a propertyupdate that also declares the
// Windows namespace as W:.
func win(inner string) string {
	return `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">` + inner + `</D:propertyupdate>`
}

type applyCase struct {
	name     string
	body     string
	stored   map[xml.Name][]byte // before the request
	limits   proppatch.Limits
	live     func(*journal) map[xml.Name]proppatch.LiveProperty
	patchErr error

	want      []int               // statuses in document order; nil when Apply fails
	wantErr   error               // errors.Is target when Apply fails
	wantProps map[xml.Name]string // store afterwards; nil means unchanged
	wantLog   []string
	golden    string // testdata/proppatch/<golden>.golden, "" for none
}

var stored = map[xml.Name][]byte{nameOld: []byte(`<Z:old xmlns:Z="urn:z">o</Z:old>`)}

func applyCases() []applyCase {
	mtime := func(j *journal) map[xml.Name]proppatch.LiveProperty {
		return map[xml.Name]proppatch.LiveProperty{nameMtime: &fakeLive{name: "mtime", log: j}}
	}
	return []applyCase{
		{
			name:   "RFC4918_9.2/all_committed_200",
			body:   win(`<D:set><D:prop><Z:a>1</Z:a><D:displayname>Report</D:displayname></D:prop></D:set><D:remove><D:prop><Z:old/></D:prop></D:remove>`),
			stored: stored,
			want:   []int{200, 200, 200},
			wantProps: map[xml.Name]string{
				nameA:                                 `<Z:a xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">1</Z:a>`,
				{Space: "DAV:", Local: "displayname"}: `<D:displayname xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">Report</D:displayname>`,
			},
			golden: "ok",
		},
		{
			name:   "RFC4918_9.2.1/protected_403_others_424_before_and_after",
			body:   win(`<D:set><D:prop><Z:a>1</Z:a><D:getetag>"x"</D:getetag></D:prop></D:set><D:remove><D:prop><Z:old/></D:prop></D:remove>`),
			stored: stored,
			want:   []int{424, 403, 424},
			golden: "protected",
		},
		{
			name: "RFC4918_9.2.1/remove_of_protected_is_403",
			body: win(`<D:remove><D:prop><D:resourcetype/></D:prop></D:remove>`),
			want: []int{403},
		},
		{
			name: "RFC4918_9.2.1/live_check_refuses_value_409",
			body: win(`<D:set><D:prop><Z:a>1</Z:a><W:Win32LastModifiedTime>yesterday</W:Win32LastModifiedTime><Z:b>2</Z:b></D:prop></D:set>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{nameMtime: &fakeLive{name: "mtime", log: j, checkErr: errors.New("not an RFC 1123 date")}}
			},
			want:   []int{424, 409, 424},
			golden: "conflict",
		},
		{
			name:   "RFC4918_9.2.1/value_over_MaxValueBytes_507",
			body:   win(`<D:set><D:prop><Z:a>short</Z:a><Z:b>` + strings.Repeat("x", 200) + `</Z:b></D:prop></D:set>`),
			limits: proppatch.Limits{MaxValueBytes: 128},
			want:   []int{424, 507},
			golden: "value_too_large",
		},
		{
			name:   "RFC4918_9.2.1/live_value_over_MaxValueBytes_507_before_Check",
			body:   win(`<D:set><D:prop><W:Win32LastModifiedTime>` + strings.Repeat("x", 200) + `</W:Win32LastModifiedTime></D:prop></D:set>`),
			limits: proppatch.Limits{MaxValueBytes: 128},
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{nameMtime: &fakeLive{name: "mtime", log: j, checkErr: errors.New("must not be called")}}
			},
			want: []int{507},
		},
		{
			name:   "RFC4918_9.2.1/prop_count_over_MaxProps_507_on_first_set_over",
			body:   win(`<D:set><D:prop><Z:old>same name</Z:old><Z:a>1</Z:a><Z:b>2</Z:b><Z:c>3</Z:c></D:prop></D:set>`),
			stored: stored,
			limits: proppatch.Limits{MaxProps: 2},
			want:   []int{424, 424, 507, 424},
			golden: "too_many_props",
		},
		{
			name:   "RFC4918_9.2.1/prop_count_counted_after_folding",
			body:   win(`<D:set><D:prop><Z:a>1</Z:a><Z:b>2</Z:b></D:prop></D:set><D:remove><D:prop><Z:old/></D:prop></D:remove>`),
			stored: stored,
			limits: proppatch.Limits{MaxProps: 2},
			want:   []int{200, 200, 200},
			wantProps: map[xml.Name]string{
				nameA: `<Z:a xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">1</Z:a>`,
				nameB: `<Z:b xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">2</Z:b>`,
			},
		},
		{
			name:   "DESIGN_7/over_full_resource_can_still_be_edited",
			body:   win(`<D:set><D:prop><Z:old>new</Z:old></D:prop></D:set>`),
			stored: map[xml.Name][]byte{nameOld: []byte("<x/>"), nameA: []byte("<x/>"), nameB: []byte("<x/>")},
			limits: proppatch.Limits{MaxProps: 1},
			want:   []int{200},
		},
		{
			name: "RFC4918_9.2/set_then_remove_ends_removed",
			body: win(`<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set><D:remove><D:prop><Z:a/></D:prop></D:remove>`),
			want: []int{200, 200},
			// golden shows the name once
			wantProps: map[xml.Name]string{},
			golden:    "set_then_remove",
		},
		{
			name:   "RFC4918_9.2/remove_then_set_ends_set",
			body:   win(`<D:remove><D:prop><Z:old/></D:prop></D:remove><D:set><D:prop><Z:old>again</Z:old></D:prop></D:set>`),
			stored: stored,
			want:   []int{200, 200},
			wantProps: map[xml.Name]string{
				nameOld: `<Z:old xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">again</Z:old>`,
			},
		},
		{
			name: "RFC4918_9.2/last_set_wins",
			body: win(`<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set><D:set><D:prop><Z:a>2</Z:a></D:prop></D:set>`),
			want: []int{200, 200},
			wantProps: map[xml.Name]string{
				nameA: `<Z:a xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">2</Z:a>`,
			},
		},
		{
			name:      "RFC4918_14.23/remove_of_absent_property_is_200",
			body:      win(`<D:remove><D:prop><Z:never/></D:prop></D:remove>`),
			want:      []int{200},
			wantProps: map[xml.Name]string{},
		},
		{
			name:   "RFC4918_9.2/same_name_reported_once_with_worst_status",
			body:   win(`<D:set><D:prop><Z:a>1</Z:a><Z:b>` + strings.Repeat("x", 200) + `</Z:b></D:prop></D:set><D:remove><D:prop><Z:a/><Z:b/></D:prop></D:remove>`),
			limits: proppatch.Limits{MaxValueBytes: 128},
			want:   []int{424, 507, 424, 424},
			golden: "duplicate_names",
		},
		{
			name: "RFC4918_4.3/null_namespace_property_committed",
			body: `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><foo>v</foo><D:getetag/></D:prop></D:set></D:propertyupdate>`,
			want: []int{424, 403},
			// the 207 names it <foo xmlns=""/>
			golden: "null_namespace",
		},
		{
			name:    "RFC4918_9.2/live_property_applied_with_dead_ones",
			body:    win(`<D:set><D:prop><W:Win32LastModifiedTime>Wed, 20 Jan 2021 10:00:00 GMT</W:Win32LastModifiedTime><Z:a>1</Z:a></D:prop></D:set>`),
			live:    mtime,
			want:    []int{200, 200},
			wantLog: []string{"apply mtime"},
			wantProps: map[xml.Name]string{
				nameA: `<Z:a xmlns:D="DAV:" xmlns:Z="urn:z" xmlns:W="urn:schemas-microsoft-com:">1</Z:a>`,
			},
		},
		{
			name: "RFC4918_9.2/live_apply_failure_undoes_earlier_and_skips_store",
			body: win(`<D:set><D:prop><Z:a>1</Z:a><W:Win32LastModifiedTime>t</W:Win32LastModifiedTime><W:Win32FileAttributes>00000020</W:Win32FileAttributes></D:prop></D:set>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{
					nameMtime: &fakeLive{name: "mtime", log: j},
					nameAttrs: &fakeLive{name: "attrs", log: j, applyErr: errors.New("chmod /srv/secret: permission denied")},
				}
			},
			want:    []int{424, 424, 500},
			wantLog: []string{"apply mtime", "apply attrs failed", "undo mtime"},
			golden:  "live_apply_failed",
		},
		{
			name: "RFC4918_9.2/live_apply_failure_with_own_status",
			body: win(`<D:set><D:prop><W:Win32LastModifiedTime>t</W:Win32LastModifiedTime></D:prop></D:set>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{nameMtime: &fakeLive{name: "mtime", log: j, applyErr: statusError(507, "disk full")}}
			},
			want:    []int{507},
			wantLog: []string{"apply mtime failed"},
		},
		{
			name:     "RFC4918_9.2/store_failure_is_an_error_and_undoes_live",
			body:     win(`<D:set><D:prop><W:Win32LastModifiedTime>t</W:Win32LastModifiedTime><Z:a>1</Z:a></D:prop></D:set>`),
			live:     mtime,
			patchErr: errDiskFull,
			wantErr:  errDiskFull,
			wantLog:  []string{"apply mtime", "undo mtime"},
		},
		{
			name: "RFC4918_9.2/failed_undo_is_ErrUndo",
			body: win(`<D:set><D:prop><W:Win32LastModifiedTime>t</W:Win32LastModifiedTime><Z:a>1</Z:a></D:prop></D:set>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{nameMtime: &fakeLive{name: "mtime", log: j, undoErr: errors.New("utimes failed")}}
			},
			patchErr: errDiskFull,
			wantErr:  proppatch.ErrUndo,
			wantLog:  []string{"apply mtime", "undo mtime"},
		},
		{
			name: "RFC4918_9.2.1/remove_of_live_property_without_Remove_409",
			body: win(`<D:remove><D:prop><W:Win32LastModifiedTime/></D:prop></D:remove>`),
			live: mtime,
			want: []int{409},
		},
		{
			name: "RFC4918_9.2/remove_of_live_property_with_Remove",
			body: win(`<D:remove><D:prop><W:Win32LastModifiedTime/></D:prop></D:remove>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{nameMtime: &removableLive{fakeLive{name: "mtime", log: j}}}
			},
			want:    []int{200},
			wantLog: []string{"remove mtime"},
		},
		{
			name: "RFC4918_9.2/live_set_then_remove_runs_only_the_remove",
			body: win(`<D:set><D:prop><W:Win32LastModifiedTime>t</W:Win32LastModifiedTime></D:prop></D:set><D:remove><D:prop><W:Win32LastModifiedTime/></D:prop></D:remove>`),
			live: func(j *journal) map[xml.Name]proppatch.LiveProperty {
				return map[xml.Name]proppatch.LiveProperty{nameMtime: &removableLive{fakeLive{name: "mtime", log: j}}}
			},
			want:    []int{200, 200},
			wantLog: []string{"remove mtime"},
		},
	}
}

var errDiskFull = errors.New("no space left on device")

func TestApply(t *testing.T) {
	t.Parallel()
	for _, tt := range applyCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runApplyCase(t, tt, false)
		})
		t.Run(tt.name+"/guarded", func(t *testing.T) {
			t.Parallel()
			runApplyCase(t, tt, true)
		})
	}
}

// runApplyCase runs tt on a memStore, or with guarded on the same store
// as a proppatch.GuardedStore, where the count is checked in the commit.
func runApplyCase(t *testing.T, tt applyCase, guarded bool) {
	u, err := proppatch.Parse(strings.NewReader(tt.body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	store := newMemStore(resource, tt.stored)
	store.patchErr = tt.patchErr
	log := &journal{}
	e := &proppatch.Engine{Store: store, Limits: tt.limits}
	if guarded {
		// Without live properties the count is checked in the commit.
		e.Store = guardedStore{memStore: store, noProps: tt.live == nil}
	}
	if tt.live != nil {
		e.Live = tt.live(log)
	}
	before := store.snapshot(resource)
	res, err := e.Apply(context.Background(), resource, u)
	if got := log.list(); !slices.Equal(got, tt.wantLog) {
		t.Errorf("live log = %q, want %q", got, tt.wantLog)
	}
	if tt.wantErr != nil {
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("Apply error = %v, want %v", err, tt.wantErr)
		}
		if res != nil {
			t.Errorf("Apply returned a result with its error")
		}
		assertProps(t, store, before)
		return
	}
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var got []int
	for _, o := range res.Outcomes {
		got = append(got, o.Status)
	}
	if !slices.Equal(got, tt.want) {
		t.Errorf("statuses = %v, want %v", got, tt.want)
	}
	committed := !slices.ContainsFunc(tt.want, func(s int) bool { return s != http.StatusOK })
	if res.Committed() != committed {
		t.Errorf("Committed() = %v, want %v", res.Committed(), committed)
	}
	switch {
	case !committed:
		assertProps(t, store, before)
	case tt.wantProps != nil:
		assertProps(t, store, tt.wantProps)
	}
	if tt.golden != "" {
		var b bytes.Buffer
		if err := res.WriteMultiStatus(&b, "/docs/a%20b.txt?x=1&y=<2>"); err != nil {
			t.Fatal(err)
		}
		golden(t, tt.golden, b.Bytes())
	}
}

func assertProps(t *testing.T, store *memStore, want map[xml.Name]string) {
	t.Helper()
	if got := store.snapshot(resource); !maps.Equal(got, want) {
		t.Errorf("store holds %v\nwant %v", got, want)
	}
}

func TestApplyStoreReadFailure(t *testing.T) {
	t.Parallel()
	u, err := proppatch.Parse(strings.NewReader(win(`<D:set><D:prop><Z:a/></D:prop></D:set>`)))
	if err != nil {
		t.Fatal(err)
	}
	store := newMemStore(resource, nil)
	store.propsErr = errDiskFull
	res, err := (&proppatch.Engine{Store: store}).Apply(context.Background(), resource, u)
	if !errors.Is(err, errDiskFull) || res != nil {
		t.Fatalf("Apply = %v, %v; want the store's error", res, err)
	}
}

func TestApplyCustomProtected(t *testing.T) {
	t.Parallel()
	u, err := proppatch.Parse(strings.NewReader(win(`<D:set><D:prop><Z:a/><D:getetag/></D:prop></D:set>`)))
	if err != nil {
		t.Fatal(err)
	}
	e := &proppatch.Engine{
		Store:     newMemStore(resource, nil),
		Protected: func(n xml.Name) bool { return n == nameA },
	}
	res, err := e.Apply(context.Background(), resource, u)
	if err != nil {
		t.Fatal(err)
	}
	if s := []int{res.Outcomes[0].Status, res.Outcomes[1].Status}; !slices.Equal(s, []int{403, 424}) {
		t.Errorf("statuses = %v, want [403 424]", s)
	}
	if p := res.Outcomes[0].Precondition; p != "cannot-modify-protected-property" {
		t.Errorf("precondition = %q", p)
	}
}

func TestApplyCanceledContext(t *testing.T) {
	t.Parallel()
	u, err := proppatch.Parse(strings.NewReader(win(`<D:set><D:prop><Z:a/></D:prop></D:set>`)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	store := newMemStore(resource, nil)
	if _, err := (&proppatch.Engine{Store: store}).Apply(ctx, resource, u); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply error = %v, want context.Canceled", err)
	}
	if store.patches != 0 {
		t.Errorf("store patched %d times", store.patches)
	}
}

func TestDefaultProtected(t *testing.T) {
	t.Parallel()
	for _, local := range []string{"getetag", "getlastmodified", "getcontentlength", "getcontenttype",
		"resourcetype", "lockdiscovery", "supportedlock", "creationdate", "quota-available-bytes",
		"quota-used-bytes", "future-live-property"} {
		if !proppatch.DefaultProtected(xml.Name{Space: "DAV:", Local: local}) {
			t.Errorf("RFC4918_15: DAV:%s is not protected", local)
		}
	}
	for _, n := range []xml.Name{{Space: "DAV:", Local: "displayname"}, {Space: "DAV:", Local: "getcontentlanguage"}, nameA, {Space: "", Local: "getetag"}, nameMtime} {
		if proppatch.DefaultProtected(n) {
			t.Errorf("RFC4918_15: %v is protected", n)
		}
	}
}

func TestWriteMultiStatusWriteError(t *testing.T) {
	t.Parallel()
	res := &proppatch.Result{Outcomes: []proppatch.Outcome{{Name: nameA, Status: 200}}}
	if err := res.WriteMultiStatus(failWriter{}, "/"); !errors.Is(err, errDiskFull) {
		t.Errorf("WriteMultiStatus error = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestApplyConcurrent(t *testing.T) {
	t.Parallel()
	store := newMemStore(resource, nil)
	e := &proppatch.Engine{Store: store}
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			body := win(fmt.Sprintf(`<D:set><D:prop><Z:p%d>%d</Z:p%d></D:prop></D:set>`, i, i, i))
			u, err := proppatch.Parse(strings.NewReader(body))
			if err == nil {
				var res *proppatch.Result
				res, err = e.Apply(context.Background(), resource, u)
				if err == nil && !res.Committed() {
					err = fmt.Errorf("request %d not committed", i)
				}
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(store.snapshot(resource)); got != n {
		t.Errorf("store holds %d properties, want %d", got, n)
	}
}

// TestWriteMultiStatusManyNamespaces checks the numbering of namespace
// prefixes past the few a scan handles: the same namespace keeps its
// prefix, in order of first use, declared once on the root.
func TestWriteMultiStatusManyNamespaces(t *testing.T) {
	t.Parallel()
	r := &proppatch.Result{}
	for _, local := range []string{"a", "b"} {
		for i := range 12 {
			r.Outcomes = append(r.Outcomes, proppatch.Outcome{
				Name: xml.Name{Space: fmt.Sprintf("urn:%d", i), Local: local}, Status: http.StatusOK})
		}
	}
	var b bytes.Buffer
	if err := r.WriteMultiStatus(&b, "/f"); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		wants := []string{fmt.Sprintf(` xmlns:ns%d="urn:%d"`, i+1, i), fmt.Sprintf(`<ns%d:a/>`, i+1), fmt.Sprintf(`<ns%d:b/>`, i+1)}
		for j, want := range wants {
			if n := strings.Count(b.String(), want); n != 1 {
				t.Errorf("%s %d times in\n%s", want, n, b.String())
			}
			if j == 0 && strings.Index(b.String(), want) > strings.Index(b.String(), "<D:response>") {
				t.Errorf("%s is not on the root:\n%s", want, b.String())
			}
		}
	}
}

// TestWriteMultiStatusLinear: a request of many names in one long
// namespace answers the namespace once, so the 207 is not much larger
// than the names it lists (it was names × namespace).
func TestWriteMultiStatusLinear(t *testing.T) {
	t.Parallel()
	ns := "urn:" + strings.Repeat("n", 10000)
	r := &proppatch.Result{}
	for i := range 1000 {
		r.Outcomes = append(r.Outcomes, proppatch.Outcome{Name: xml.Name{Space: ns, Local: fmt.Sprintf("p%d", i)}, Status: http.StatusOK})
	}
	var b bytes.Buffer
	if err := r.WriteMultiStatus(&b, "/f"); err != nil {
		t.Fatal(err)
	}
	if b.Len() > len(ns)+1000*len("<ns1:p999/>")+500 {
		t.Fatalf("207 of %d bytes for 1000 names in a namespace of %d", b.Len(), len(ns))
	}
	d := xml.NewDecoder(&b)
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("ill-formed 207: %v", err)
		}
	}
}

// TestCountSkipsProtected: a stored property no client can change (the
// server's own record) does not count toward MaxProps.
func TestCountSkipsProtected(t *testing.T) {
	t.Parallel()
	server := xml.Name{Space: "urn:server", Local: "record"}
	u, err := proppatch.Parse(strings.NewReader(win(`<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set>`)))
	if err != nil {
		t.Fatal(err)
	}
	e := &proppatch.Engine{
		Store:     newMemStore(resource, map[xml.Name][]byte{server: []byte(`<s:record xmlns:s="urn:server"/>`)}),
		Limits:    proppatch.Limits{MaxProps: 1},
		Protected: func(n xml.Name) bool { return n == server },
	}
	res, err := e.Apply(context.Background(), resource, u)
	if err != nil {
		t.Fatal(err)
	}
	if st := res.Outcomes[0].Status; st != 200 {
		t.Errorf("status %d, want 200: the server's record must not count", st)
	}
}
