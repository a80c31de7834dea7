package dav

import (
	"fmt"
	"net/http"

	"github.com/atomdav/atomdav/proppatch"
)

// checkOwner refuses a LOCK's DAV:owner XML (RFC 4918 §14.17) that every
// later lock discovery could not echo safely: over max bytes once its
// namespace declarations are written out (a body declaring thousands of
// namespaces around a tiny owner would otherwise be stored and echoed
// whole), or not what PROPPATCH accepts in a property value (an XML
// declaration, a DOCTYPE, a forbidden character), which would make every
// PROPFIND of the locked tree malformed. Both are 400: this LOCK body is
// refused, the client may send a smaller or well-formed owner.
func checkOwner(owner []byte, ns map[string]string, max int64) error {
	size := int64(len(owner))
	for prefix, uri := range ns {
		size += int64(len(` xmlns:=""`) + len(prefix) + len(uri))
	}
	if size > max {
		return errorf(http.StatusBadRequest, "DAV:owner takes %d bytes with its namespaces, over the limit of %d", size, max)
	}
	if err := proppatch.CheckFragment(owner, ns); err != nil {
		return &Error{Status: http.StatusBadRequest, Err: fmt.Errorf("DAV:owner: %w", err)}
	}
	return nil
}
