package xnetdav_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/net/webdav"

	"github.com/atomdav/atomdav/proppatch/xnetdav"
	"github.com/atomdav/atomdav/storage/bolt"
)

// A plain x/net WebDAV server, wrapped: PROPPATCH is atomic and durable, and
// PROPFIND returns the stored value with its attribute, its xml:lang and the
// namespace its content uses, which x/net alone would lose.
func ExampleWrap() {
	dir, _ := os.MkdirTemp("", "xnetdav")
	defer os.RemoveAll(dir)
	store, err := bolt.Open(filepath.Join(dir, "state.db"), bolt.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	files := filepath.Join(dir, "files")
	_ = os.Mkdir(files, 0o755)

	h := xnetdav.Wrap(&webdav.Handler{FileSystem: webdav.Dir(files), LockSystem: webdav.NewMemLS()}, store)
	srv := httptest.NewServer(h)
	defer srv.Close()

	do := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Depth", "0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode)
		if resp.StatusCode == http.StatusMultiStatus {
			fmt.Println(strings.TrimSpace(string(b)))
		}
	}
	do("PUT", "/notes.txt", "hello")
	do("PROPPATCH", "/notes.txt", `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z">
<D:set><D:prop><Z:author Z:role="editor" xml:lang="en"><Z:name>Ann</Z:name></Z:author></D:prop></D:set>
</D:propertyupdate>`)
	do("PROPFIND", "/notes.txt", `<D:propfind xmlns:D="DAV:"><D:prop><author xmlns="urn:example:z"/></D:prop></D:propfind>`)
	// Output:
	// 201
	// 207
	// <?xml version="1.0" encoding="utf-8"?>
	// <D:multistatus xmlns:D="DAV:" xmlns:ns1="urn:example:z"><D:response><D:href>/notes.txt</D:href><D:propstat><D:prop><ns1:author/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>
	// 207
	// <?xml version="1.0" encoding="UTF-8"?>
	// <D:multistatus xmlns:D="DAV:"><D:response><D:href>/notes.txt</D:href><D:propstat><D:prop><Z:author xmlns:D="DAV:" xmlns:Z="urn:example:z" Z:role="editor" xml:lang="en"><Z:name>Ann</Z:name></Z:author></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>
}
