package proppatch

import (
	"errors"
	"net/http"
)

// Sentinel errors. Parse wraps them in an *Error carrying the HTTP status of
// the refusal; compare with errors.Is.
var (
	// ErrMalformed means the body is not well-formed XML (RFC 4918 §8.2),
	// including duplicate attributes, text or elements outside the root, a
	// DOCTYPE inside an element and nesting deeper than Parse allows.
	ErrMalformed = errors.New("proppatch: malformed XML")

	// ErrNamespace means the body is well-formed XML but not namespace
	// well-formed (Namespaces in XML 1.0 §3, §5): an undeclared prefix on an
	// element or attribute, a prefix bound to the empty string
	// (xmlns:p=""), a name with more than one colon, a misuse of the
	// reserved xml and xmlns prefixes, or two attributes with the same
	// expanded name.
	ErrNamespace = errors.New("proppatch: invalid namespace declaration")

	// ErrExpansion means the standalone values built from the body would
	// be out of proportion with it (more than four times its size plus
	// 1 MiB), as when a body declares many namespaces on the
	// propertyupdate, each to be re-declared on many properties.
	ErrExpansion = errors.New("proppatch: property values too large once made standalone")

	// ErrCharset means the XML declaration names a character encoding Parse
	// does not read (it reads UTF-8, US-ASCII and ISO-8859-1).
	ErrCharset = errors.New("proppatch: unsupported character encoding")

	// ErrNotPropertyUpdate means the root element is not DAV:propertyupdate
	// (RFC 4918 §9.2, §14.19).
	ErrNotPropertyUpdate = errors.New("proppatch: root element is not DAV:propertyupdate")

	// ErrMissingProp means a DAV:set or DAV:remove holds no DAV:prop
	// (RFC 4918 §14.23, §14.26).
	ErrMissingProp = errors.New("proppatch: set or remove without prop")

	// ErrEmptyUpdate means the propertyupdate names no property at all
	// (RFC 4918 §14.19 requires at least one set or remove).
	ErrEmptyUpdate = errors.New("proppatch: empty propertyupdate")

	// ErrUndo means a settable live property could not be restored after
	// the request failed: the resource may be left half-changed. Apply
	// returns it (joined with the cause) as an infrastructure error.
	ErrUndo = errors.New("proppatch: undo of a live property failed")

	// ErrLivePending means the update was committed, with the record of
	// its settable live properties, but applying one of them to the
	// resource failed: the store keeps the record and the server's
	// recovery applies it. Apply returns it (joined with the cause) as an
	// infrastructure error; the request is not reported as committed.
	ErrLivePending = errors.New("proppatch: live property recorded but not yet applied")
)

// Error is a refusal with the HTTP status that reports it. Parse returns an
// *Error for every failure: 400 Bad Request for a body it refuses; 413
// Content Too Large when reading the body hit an *http.MaxBytesError, or for
// ErrExpansion; 415 Unsupported Media Type for ErrCharset.
//
// A LiveProperty may also return an *Error from Check or Apply to choose the
// status of the failing instruction.
type Error struct {
	Status int   // HTTP status code, e.g. http.StatusBadRequest
	Err    error // the cause; often wraps one of the sentinels above
}

// Error returns the cause's message.
func (e *Error) Error() string {
	if e.Err == nil {
		return "proppatch: " + http.StatusText(e.Status)
	}
	return e.Err.Error()
}

// Unwrap returns the cause, so errors.Is finds the sentinels.
func (e *Error) Unwrap() error { return e.Err }

// badRequest wraps err in a 400 *Error.
func badRequest(err error) *Error {
	return &Error{Status: http.StatusBadRequest, Err: err}
}
