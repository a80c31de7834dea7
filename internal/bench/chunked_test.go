package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestPutChunked runs put-chunked against a share whose Nextcloud upload
// URLs a small fake serves: every upload must arrive as an upload folder,
// chunks numbered from 1 with Destination and OC-Total-Length, and a MOVE
// of .file whose assembly is the bytes put-large would send.
func TestPutChunked(t *testing.T) {
	var mu sync.Mutex
	chunks := map[string][][]byte{} // upload URL path → chunks by number
	var assembled [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const uploads = "/remote.php/dav/uploads/anonymous/"
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("OC-Total-Length") != "25" || !strings.Contains(r.Header.Get("Destination"), "/remote.php/dav/files/anonymous/") {
			http.Error(w, "headers", http.StatusBadRequest)
			return
		}
		dir, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, uploads), "/")
		switch {
		case r.Method == "MKCOL" && name == "":
			chunks[dir] = nil
			w.WriteHeader(http.StatusCreated)
		case r.Method == "PUT" && name == strconv.Itoa(len(chunks[dir])+1):
			b, _ := io.ReadAll(r.Body)
			chunks[dir] = append(chunks[dir], b)
			w.WriteHeader(http.StatusCreated)
		case r.Method == "MOVE" && name == ".file":
			assembled = append(assembled, bytes.Join(chunks[dir], nil))
			delete(chunks, dir)
			w.WriteHeader(http.StatusCreated)
		default:
			http.Error(w, "unexpected", http.StatusConflict)
		}
	}))
	defer srv.Close()
	b, err := New(tiny(srv.URL + "/"))
	if err != nil {
		t.Fatal(err)
	}
	p := &putChunked{cl: b.setup, dir: "/d", size: 25, chunk: 10, user: "anonymous"} // chunks of 10, 10, 5
	for n := int64(7); n < 9; n++ {
		if _, err := p.op(context.Background(), 0, n, nil); err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(payload(25, n))
		if got := assembled[len(assembled)-1]; !bytes.Equal(got, want) {
			t.Fatalf("op %d assembled %q, want %q", n, got, want)
		}
	}
	if len(chunks) != 0 {
		t.Errorf("uploads left: %v", chunks)
	}
}
