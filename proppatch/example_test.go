package proppatch_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"

	"github.com/atomdav/atomdav/proppatch"
)

// exampleStore keeps the dead properties of resources in memory.
type exampleStore struct {
	mu    sync.Mutex // guards props
	props map[string]map[xml.Name][]byte
}

func (s *exampleStore) Props(_ context.Context, path string) (map[xml.Name][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.props[path]), nil
}

func (s *exampleStore) PatchProps(_ context.Context, path string, set map[xml.Name][]byte, remove []xml.Name) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(s.props[path])
	if m == nil {
		m = make(map[xml.Name][]byte)
	}
	maps.Copy(m, set)
	for _, name := range remove {
		delete(m, name)
	}
	s.props[path] = m
	return nil
}

func ExampleParse() {
	body := `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z" xml:lang="en">
  <D:set><D:prop><Z:author>Ann</Z:author><Z:kind>D:collection</Z:kind></D:prop></D:set>
  <D:remove><D:prop><Z:draft/></D:prop></D:remove>
</D:propertyupdate>`
	u, err := proppatch.Parse(strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range u.Instructions {
		if in.Remove {
			fmt.Printf("remove {%s}%s\n", in.Name.Space, in.Name.Local)
			continue
		}
		fmt.Printf("set {%s}%s = %s\n", in.Name.Space, in.Name.Local, in.Value)
	}

	_, err = proppatch.Parse(strings.NewReader(`<D:propfind xmlns:D="DAV:"/>`))
	var pe *proppatch.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Status, errors.Is(err, proppatch.ErrNotPropertyUpdate))
	}
	// Output:
	// set {urn:example:z}author = <Z:author xmlns:D="DAV:" xmlns:Z="urn:example:z" xml:lang="en">Ann</Z:author>
	// set {urn:example:z}kind = <Z:kind xmlns:D="DAV:" xmlns:Z="urn:example:z" xml:lang="en">D:collection</Z:kind>
	// remove {urn:example:z}draft
	// 400 true
}

func ExampleEngine_Apply() {
	store := &exampleStore{props: make(map[string]map[xml.Name][]byte)}
	engine := &proppatch.Engine{Store: store}
	ctx := context.Background()

	apply := func(body string) {
		u, err := proppatch.Parse(strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		res, err := engine.Apply(ctx, "/notes.txt", u)
		if err != nil {
			fmt.Println("500:", err) // the store failed
			return
		}
		fmt.Println("committed:", res.Committed())
		res.WriteMultiStatus(os.Stdout, "/notes.txt")
	}

	apply(`<propertyupdate xmlns="DAV:"><set><prop><displayname>Notes</displayname></prop></set></propertyupdate>`)
	// Setting a protected property fails, and so does the whole request.
	apply(`<propertyupdate xmlns="DAV:"><set><prop><displayname>Other</displayname><getetag>"x"</getetag></prop></set></propertyupdate>`)

	props, _ := store.Props(ctx, "/notes.txt")
	fmt.Printf("%s\n", props[xml.Name{Space: "DAV:", Local: "displayname"}])
	// Output:
	// committed: true
	// <?xml version="1.0" encoding="utf-8"?>
	// <D:multistatus xmlns:D="DAV:"><D:response><D:href>/notes.txt</D:href><D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>
	// committed: false
	// <?xml version="1.0" encoding="utf-8"?>
	// <D:multistatus xmlns:D="DAV:"><D:response><D:href>/notes.txt</D:href><D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 424 Failed Dependency</D:status></D:propstat><D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:error><D:cannot-modify-protected-property/></D:error><D:responsedescription>{DAV:}getetag is protected: the server maintains it and clients cannot set or remove it.</D:responsedescription></D:propstat></D:response></D:multistatus>
	// <displayname xmlns="DAV:">Notes</displayname>
}
