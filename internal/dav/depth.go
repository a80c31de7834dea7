package dav

import (
	"net/http"
	"strings"
)

// parseDepth reads a Depth header (RFC 4918 §10.2) as "0", "1" or
// "infinity"; absent, it is "infinity", the default of every method that
// takes it. "infinity" is matched without regard to case, as ABNF strings
// are (RFC 5234 §2.3). Anything else is a 400 *Error. Which depths a
// method accepts is the method's business.
func parseDepth(v string) (string, error) {
	switch {
	case v == "0" || v == "1":
		return v, nil
	case v == "" || strings.EqualFold(v, "infinity"):
		return "infinity", nil
	}
	return "", errorf(http.StatusBadRequest, "bad Depth %q", v)
}
