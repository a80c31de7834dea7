package e2e

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// syncAnswer is a sync-collection REPORT's 207 (RFC 6578 §6.2), read.
type syncAnswer struct {
	Members   map[string]syncMember // by href
	Order     []string
	Token     string
	Truncated bool // a 507 for the request-URI: more to fetch with Token
}

type syncMember struct {
	Status int               // 404 for a removed member, else 200
	Props  map[string]string // local name → inner text, of the 200 propstat
}

// sync sends a sync-collection REPORT of dir and reads the answer;
// it fails the test unless it is a 207.
func (s *server) sync(t testing.TB, dir, token, level string, limit int, props ...string) syncAnswer {
	t.Helper()
	r := s.do(t, "REPORT", dir, syncBody(token, level, limit, props...), "Depth", "0")
	want(t, r, http.StatusMultiStatus, "sync-collection of "+dir)
	return parseSync(t, r.Body)
}

func syncBody(token, level string, limit int, props ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="http://calendarserver.org/ns/">`)
	b.WriteString("<D:sync-token>" + token + "</D:sync-token><D:sync-level>" + level + "</D:sync-level>")
	if limit > 0 {
		fmt.Fprintf(&b, "<D:limit><D:nresults>%d</D:nresults></D:limit>", limit)
	}
	b.WriteString("<D:prop>")
	if len(props) == 0 {
		props = []string{"D:getetag"}
	}
	for _, p := range props {
		b.WriteString("<" + p + "/>")
	}
	b.WriteString("</D:prop></D:sync-collection>")
	return b.String()
}

func parseSync(t testing.TB, body []byte) syncAnswer {
	t.Helper()
	var ms struct {
		Responses []struct {
			Href      string `xml:"href"`
			Status    string `xml:"status"`
			Propstats []struct {
				Status string `xml:"status"`
				Prop   struct {
					Any []struct {
						XMLName xml.Name
						Inner   string `xml:",innerxml"`
					} `xml:",any"`
				} `xml:"prop"`
			} `xml:"propstat"`
		} `xml:"response"`
		Token string `xml:"sync-token"`
	}
	if err := xml.Unmarshal(body, &ms); err != nil {
		t.Fatalf("sync answer: %v\n%s", err, body)
	}
	a := syncAnswer{Members: map[string]syncMember{}, Token: ms.Token}
	for _, r := range ms.Responses {
		if strings.Contains(r.Status, " 507 ") {
			a.Truncated = true
			continue
		}
		m := syncMember{Status: http.StatusOK, Props: map[string]string{}}
		if strings.Contains(r.Status, " 404 ") {
			m.Status = http.StatusNotFound
		}
		for _, ps := range r.Propstats {
			if !strings.Contains(ps.Status, " 200 ") {
				continue
			}
			for _, p := range ps.Prop.Any {
				m.Props[p.XMLName.Local] = p.Inner
			}
		}
		if _, dup := a.Members[r.Href]; dup {
			t.Errorf("sync answer names %s twice", r.Href)
		}
		a.Members[r.Href] = m
		a.Order = append(a.Order, r.Href)
	}
	if a.Token == "" {
		t.Fatalf("sync answer without a sync-token:\n%s", body)
	}
	return a
}

// syncAll follows the continuation tokens of a limited sync to its end.
func (s *server) syncAll(t testing.TB, dir, token, level string, limit int) (syncAnswer, int) {
	t.Helper()
	all := syncAnswer{Members: map[string]syncMember{}}
	pages := 0
	for {
		a := s.sync(t, dir, token, level, limit)
		pages++
		if len(a.Members) > limit {
			t.Fatalf("a page with DAV:limit %d holds %d members", limit, len(a.Members))
		}
		for _, h := range a.Order {
			all.Members[h] = a.Members[h]
			all.Order = append(all.Order, h)
		}
		token = a.Token
		if !a.Truncated {
			all.Token = token
			return all, pages
		}
		if pages > 1000 {
			t.Fatal("the continuation tokens never end")
		}
	}
}

// wantMembers checks the hrefs of a (with their statuses) are exactly want.
func wantMembers(t testing.TB, a syncAnswer, want map[string]int, what string) {
	t.Helper()
	got := map[string]int{}
	for h, m := range a.Members {
		got[h] = m.Status
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: members %v, want %v", what, got, want)
	}
}

// TestSyncCollectionChanges checks that a sync-collection since a token
// answers exactly what WebDAV changed since: created and changed members
// with their properties, removed ones as 404, a MOVE as the removal of its
// source and its destination with every member below, at sync-level
// infinite; at level 1 the direct members that hold a change (RFC 6578).
func TestSyncCollectionChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.mkcol(t, "/a")
	s.mkcol(t, "/a/src")
	s.put(t, "/a/src/x.txt", "x")
	s.put(t, "/a/keep.txt", "k")
	s.put(t, "/a/gone.txt", "g")
	s.put(t, "/top.txt", "t")
	first := s.sync(t, "/", "", "infinite", 0)
	wantMembers(t, first, map[string]int{"/a/": 200, "/a/src/": 200, "/a/src/x.txt": 200, "/a/keep.txt": 200,
		"/a/gone.txt": 200, "/top.txt": 200}, "initial sync")

	s.put(t, "/a/new.txt", "n")
	want(t, s.do(t, "PROPPATCH", "/a/keep.txt", update(`<Z:p>v</Z:p>`)), http.StatusMultiStatus, "PROPPATCH")
	want(t, s.do(t, "DELETE", "/a/gone.txt", ""), http.StatusNoContent, "DELETE")
	s.mkcol(t, "/a/made")
	want(t, s.do(t, "MOVE", "/a/src", "", "Destination", s.URL+"/a/dst"), http.StatusCreated, "MOVE")

	next := s.sync(t, "/", first.Token, "infinite", 0, "D:getetag", "Z:p xmlns:Z=\""+nsZ+"\"")
	wantMembers(t, next, map[string]int{"/a/": 200, "/a/new.txt": 200, "/a/keep.txt": 200, "/a/gone.txt": 404, "/a/made/": 200,
		"/a/src/": 404, "/a/src/x.txt": 404, "/a/dst/": 200, "/a/dst/x.txt": 200}, "sync after changes")
	if next.Members["/a/keep.txt"].Props["p"] != "v" || next.Members["/a/new.txt"].Props["getetag"] == "" {
		t.Errorf("members without the properties asked for: %+v", next.Members)
	}
	level1 := s.sync(t, "/", first.Token, "1", 0)
	wantMembers(t, level1, map[string]int{"/a/": 200}, "sync-level 1 after changes below /a")
	if level1.Members["/a/"].Props["getetag"] == first.Members["/a/"].Props["getetag"] {
		t.Errorf("the ETag of /a did not move with the changes below it")
	}
	if again := s.sync(t, "/", next.Token, "infinite", 0); len(again.Members) != 0 {
		t.Errorf("a sync with the latest token answers %v", again.Order)
	}
	// /a/dst/ came in whole since first: its token says nothing of it.
	r := s.do(t, "REPORT", "/a/dst/", syncBody(first.Token, "1", 0), "Depth", "0")
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "valid-sync-token") {
		t.Errorf("a sync of a folder moved in since the token: %s, want 403 valid-sync-token", r)
	}
	if sub := s.sync(t, "/a/dst/", next.Token, "infinite", 0); len(sub.Members) != 0 {
		t.Errorf("a sync of /a/dst/ since the move: %v", sub.Order)
	}
}

// TestSyncCollectionRefusals checks the REPORT's refusals: a token that
// is not one this store gave (403 valid-sync-token, RFC 6578 §3.2), a Depth
// other than 0 (400), another report (403 supported-report).
func TestSyncCollectionRefusals(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f", "x")
	s.mkcol(t, "/sub")
	tok := s.sync(t, "/", "", "1", 0).Token
	id, seq, _ := strings.Cut(strings.TrimPrefix(tok, "urn:x-atomdav:sync:"), ":")
	// The token of a page of an initial sync of / names a member outside /sub.
	r := s.do(t, "REPORT", "/sub/", syncBody("urn:x-atomdav:sync:"+id+":"+seq+":2f66", "1", 0), "Depth", "0")
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "valid-sync-token") {
		t.Errorf("a page token of another folder: %s, want 403 valid-sync-token", r)
	}
	for _, bad := range []string{
		"urn:x-atomdav:sync:0000000000000000:" + seq, // another store
		"urn:x-atomdav:sync:" + id + ":99999",        // never given
		"urn:x-atomdav:sync:" + id + ":1x",
		"http://example.com/sync/1",
	} {
		r := s.do(t, "REPORT", "/", syncBody(bad, "1", 0), "Depth", "0")
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "valid-sync-token") {
			t.Errorf("token %q: %s, want 403 valid-sync-token", bad, r)
		}
	}
	want(t, s.do(t, "REPORT", "/", syncBody(tok, "1", 0), "Depth", "1"), http.StatusBadRequest, "Depth: 1")
	r = s.do(t, "REPORT", "/", `<D:expand-property xmlns:D="DAV:"/>`, "Depth", "0")
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "supported-report") {
		t.Errorf("another report: %s, want 403 supported-report", r)
	}
	want(t, s.do(t, "REPORT", "/", `<D:sync-collection xmlns:D="DAV:"><D:sync-token/></D:sync-collection>`, "Depth", "0"),
		http.StatusBadRequest, "sync-collection without a sync-level")
}

// TestSyncCollectionLimit checks DAV:limit: pages of at most nresults
// members, each but the last with a 507 and a token to continue from,
// together exactly the members (initial sync) or changes (incremental).
func TestSyncCollectionLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"a", "b", "c"} {
		os.MkdirAll(filepath.Join(dir, d, "sub"), 0o755)
		for i := range 4 {
			os.WriteFile(filepath.Join(dir, d, "sub", fmt.Sprintf("f%d", i)), []byte("x"), 0o644)
		}
	}
	s := startServer(t, dir)
	all, pages := s.syncAll(t, "/", "", "infinite", 4)
	if len(all.Members) != 18 || pages != 5 {
		t.Errorf("initial sync by 4: %d members in %d pages, want 18 in 5", len(all.Members), pages)
	}
	for i := range 7 {
		s.put(t, fmt.Sprintf("/b/sub/n%d", i), "y")
	}
	changed, pages := s.syncAll(t, "/", all.Token, "infinite", 3)
	// Each page answers the folders above its changes too (their ETags
	// moved), so 7 changes by 3 take more than 3 pages.
	if len(changed.Members) != 9 || pages < 3 {
		t.Errorf("changes by 3: %d members in %d pages, want 9 (7 files and their 2 folders) in 3 or more: %v", len(changed.Members), pages, changed.Order)
	}
	if next := s.sync(t, "/", changed.Token, "infinite", 0); len(next.Members) != 0 {
		t.Errorf("after the last page: %v", next.Order)
	}
	// A folder made before the server started, so never journaled, moved:
	// its members come with it.
	want(t, s.do(t, "MOVE", "/c/sub", "", "Destination", s.URL+"/c/moved"), http.StatusCreated, "MOVE /c/sub")
	moved := s.sync(t, "/", changed.Token, "infinite", 0)
	for _, h := range []string{"/c/moved/", "/c/moved/f0", "/c/moved/f3"} {
		if moved.Members[h].Status != http.StatusOK {
			t.Errorf("after moving a folder never journaled: %s not answered: %v", h, moved.Order)
		}
	}
}

// TestSyncCollectionAcrossRestarts checks that the journal is durable: a
// change answered before a restart, or before a kill -9, is in the next
// sync after it; atomdav changes prints it; and a token older than
// sync-journal-max-entries keeps is 403 once compacted.
func TestSyncCollectionAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	tok := s.sync(t, "/", "", "infinite", 0).Token
	s.put(t, "/one.txt", "1")
	s.Stop()
	s = startServer(t, dir)
	s.put(t, "/two.txt", "2")
	s.Kill9()
	s = startServer(t, dir)
	a := s.sync(t, "/", tok, "infinite", 0)
	wantMembers(t, a, map[string]int{"/one.txt": 200, "/two.txt": 200}, "sync across a restart and a kill -9")
	s.Stop()

	out, err := exec.Command(binary, "changes", dir, "--since", tok).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "upsert file /one.txt") || !strings.Contains(string(out), "upsert file /two.txt") {
		t.Errorf("atomdav changes --since: %v\n%s", err, out)
	}

	s = startServer(t, dir, "--sync-journal-max-entries", "1")
	r := s.do(t, "REPORT", "/", syncBody(tok, "1", 0), "Depth", "0")
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "valid-sync-token") {
		t.Errorf("a compacted token: %s, want 403 valid-sync-token", r)
	}
}

// TestSyncCollectionCluster checks that instances sharing a PostgreSQL
// store share the journal: a change through one is in a sync through
// another, with a token the other gave.
func TestSyncCollectionCluster(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	tok := b.sync(t, "/", "", "infinite", 0).Token
	a.mkcol(t, "/d")
	a.put(t, "/d/f.txt", "x")
	want(t, a.do(t, "MOVE", "/d/f.txt", "", "Destination", a.URL+"/g.txt"), http.StatusCreated, "MOVE through a")
	got := b.sync(t, "/", tok, "infinite", 0)
	wantMembers(t, got, map[string]int{"/d/": 200, "/d/f.txt": 404, "/g.txt": 200}, "sync through b of changes through a")
}

// folderTags reads getetag and getctag of the members of dir.
func (s *server) folderTags(t testing.TB, dir string) map[string][2]string {
	t.Helper()
	r := s.do(t, "PROPFIND", dir, `<D:propfind xmlns:D="DAV:" xmlns:C="http://calendarserver.org/ns/"><D:prop><D:getetag/><C:getctag/></D:prop></D:propfind>`, "Depth", "1")
	want(t, r, http.StatusMultiStatus, "PROPFIND "+dir)
	a := parseSync(t, []byte(strings.Replace(string(r.Body), "</D:multistatus>", "<D:sync-token>x</D:sync-token></D:multistatus>", 1)))
	out := map[string][2]string{}
	for h, m := range a.Members {
		out[h] = [2]string{m.Props["getetag"], m.Props["getctag"]}
	}
	return out
}

// makeBigTree writes 100 folders of a folder of 1,000 files each: 100,000
// files.
func makeBigTree(t testing.TB, dir string) {
	t.Helper()
	for d := range 100 {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", d), "sub")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range 1000 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d", f)), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSyncCollectionLargeTree checks, on a tree of 100,000 files, that a
// sync after one deep change answers exactly that change (level infinite:
// the file and the folders above it, whose ETags moved with it) or the one
// top folder holding it (level 1), and that the folders' ETags
// and ctags move with it above it and nowhere else, though the folder's
// own modification time does not change; the If header compares them.
func TestSyncCollectionLargeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 files")
	}
	t.Parallel()
	dir := t.TempDir()
	makeBigTree(t, dir)
	s := startServer(t, dir)
	tok := s.sync(t, "/", "", "1", 0).Token
	before := s.folderTags(t, "/")
	s.put(t, "/d050/sub/f0500", "changed")
	deep := s.sync(t, "/", tok, "infinite", 0, "D:getetag", "D:getcontentlength")
	wantMembers(t, deep, map[string]int{"/d050/": 200, "/d050/sub/": 200, "/d050/sub/f0500": 200}, "sync-level infinite after one change")
	if got := deep.Members["/d050/sub/f0500"].Props["getcontentlength"]; got != "7" {
		t.Errorf("the changed file's getcontentlength = %q, want 7", got)
	}
	wantMembers(t, s.sync(t, "/", tok, "1", 0), map[string]int{"/d050/": 200}, "sync-level 1 after one deep change")
	after := s.folderTags(t, "/")
	for _, h := range []string{"/", "/d050/"} {
		if after[h][0] == before[h][0] || after[h][1] == before[h][1] || after[h][1] == "" {
			t.Errorf("%s: ETag, ctag %q then %q: want both to move", h, before[h], after[h])
		}
	}
	if after["/d049/"] != before["/d049/"] {
		t.Errorf("/d049/: ETag, ctag %q then %q: an unrelated change moved them", before["/d049/"], after["/d049/"])
	}
	etag := after["/d050/"][0]
	want(t, s.do(t, "PROPPATCH", "/d050/", update(`<Z:p>v</Z:p>`), "If", "(["+before["/d050/"][0]+"])"), http.StatusPreconditionFailed,
		"PROPPATCH of a folder with an If of its old ETag")
	want(t, s.do(t, "PROPPATCH", "/d050/", update(`<Z:p>v</Z:p>`), "If", "(["+etag+"])"), http.StatusMultiStatus,
		"PROPPATCH of a folder with an If of its current ETag")
}

// BenchmarkSyncVersusWalk compares, on a tree of 100,000 files, a client
// that learns what changed since its last visit with sync-collection with
// one that walks the tree with PROPFIND Depth 1, after one change.
func BenchmarkSyncVersusWalk(b *testing.B) {
	dir := b.TempDir()
	makeBigTree(b, dir)
	s := startServer(b, dir)
	s.put(b, "/d050/sub/f0500", "changed")
	tok := s.sync(b, "/", "", "1", 0).Token
	s.put(b, "/d050/sub/f0501", "changed")
	b.Run("sync-collection", func(b *testing.B) {
		for b.Loop() {
			if a := s.sync(b, "/", tok, "infinite", 0); len(a.Members) != 3 {
				b.Fatalf("sync answered %v", a.Order)
			}
		}
	})
	b.Run("propfind-walk", func(b *testing.B) {
		for b.Loop() {
			dirs := []string{"/"}
			for len(dirs) > 0 {
				d := dirs[0]
				dirs = dirs[1:]
				r := s.do(b, "PROPFIND", d, "", "Depth", "1")
				for _, h := range hrefs(r.Body) {
					if strings.HasSuffix(h, "/") && h != d {
						dirs = append(dirs, h)
					}
				}
			}
		}
	})
}

// hrefs lists the hrefs of a multistatus.
func hrefs(body []byte) []string {
	var out []string
	for _, part := range strings.Split(string(body), "<D:href>")[1:] {
		h, _, _ := strings.Cut(part, "</D:href>")
		out = append(out, h)
	}
	return slices.Compact(out)
}

// TestSyncInitialAnswersTheJournal checks that an initial sync answers
// only the members the journal's index holds: one made on disk behind the
// server's back (no watcher here) comes with a later token, once a scan
// recorded it, and one that vanished before any scan saw it is never
// answered, so no client holds it for good with nothing ever saying it
// is gone.
func TestSyncInitialAnswersTheJournal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--watch=false")
	s.put(t, "/web.txt", "w")
	if err := os.WriteFile(filepath.Join(dir, "brief.txt"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := s.sync(t, "/", "", "infinite", 0)
	wantMembers(t, first, map[string]int{"/web.txt": 200}, "an initial sync with a file on disk no scan saw")
	if err := os.Remove(filepath.Join(dir, "brief.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "later.txt"), []byte("l"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s = startServer(t, dir, "--watch=false") // its start-up scan records later.txt
	next := s.sync(t, "/", first.Token, "infinite", 0)
	wantMembers(t, next, map[string]int{"/later.txt": 200}, "a sync after the start-up scan")
}

// TestSyncChangesAnswerTheJournal checks that an incremental sync answers
// a path whose removal it reports as gone even when a file of that name
// is on disk again that no scan has recorded: answered as there, it could
// vanish before any scan saw it, and no later sync would say so.
func TestSyncChangesAnswerTheJournal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--watch=false")
	s.put(t, "/x.txt", "x")
	tok := s.sync(t, "/", "", "infinite", 0).Token
	want(t, s.do(t, "DELETE", "/x.txt", ""), http.StatusNoContent, "DELETE")
	local := filepath.Join(dir, "x.txt")
	if err := os.WriteFile(local, []byte("again"), 0o644); err != nil { // behind the server's back
		t.Fatal(err)
	}
	next := s.sync(t, "/", tok, "infinite", 0)
	wantMembers(t, next, map[string]int{"/x.txt": 404}, "a sync after the DELETE, with the name on disk again")
	if err := os.Remove(local); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s = startServer(t, dir, "--watch=false")
	wantMembers(t, s.sync(t, "/", next.Token, "infinite", 0), map[string]int{}, "a sync after the start-up scan")
}

// TestSyncCollectionLimitTreeMovedIn checks that DAV:limit bounds the
// walk of a tree moved in too: its members come in pages of at most the
// limit, each with a token that goes on inside the tree, together every
// member once present, with the source's removal.
func TestSyncCollectionLimitTreeMovedIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.mkcol(t, "/src")
	expect := map[string]int{"/src/": 404, "/dst/": 200}
	for _, d := range []string{"a", "b", "c"} {
		s.mkcol(t, "/src/"+d)
		expect["/src/"+d+"/"], expect["/dst/"+d+"/"] = 404, 200
		for i := range 4 {
			f := fmt.Sprintf("/%s/f%d", d, i)
			s.put(t, "/src"+f, "x")
			expect["/src"+f], expect["/dst"+f] = 404, 200
		}
	}
	tok := s.sync(t, "/", "", "infinite", 0).Token
	if r := s.do(t, "MOVE", "/src", "", "Destination", s.URL+"/dst"); r.Status != http.StatusCreated {
		t.Fatalf("MOVE: %s", r)
	}
	got, pages := s.syncAll(t, "/", tok, "infinite", 4)
	wantMembers(t, got, expect, "a tree moved in, by pages of 4")
	seen := map[string]bool{}
	for _, h := range got.Order {
		if seen[h] && got.Members[h].Status == http.StatusOK {
			t.Errorf("%s answered on two pages", h)
		}
		seen[h] = true
	}
	if pages < 8 {
		t.Errorf("%d pages for %d members by 4", pages, len(expect))
	}
	if next := s.sync(t, "/", got.Token, "infinite", 0); len(next.Members) != 0 {
		t.Errorf("after the last page: %v", next.Order)
	}
	// A limit below the folders a change comes with: no page could go
	// on, so the REPORT fails (RFC 5323 §5.17) rather than answer none
	// with the same token for ever.
	s.put(t, "/dst/a/new", "n")
	r := s.do(t, "REPORT", "/", syncBody(got.Token, "infinite", 2), "Depth", "0")
	if r.Status != http.StatusInsufficientStorage || !strings.Contains(string(r.Body), "number-of-matches-within-limits") {
		t.Errorf("a limit of 2 for a change 3 deep: %s, want 507 number-of-matches-within-limits", r)
	}
}
