package dav

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strconv"
)

// Browsers that navigate to a URL (GET or HEAD, Accept listing text/html)
// get a refusal as a small HTML page, with the same words the plain-text
// answer holds; WebDAV clients keep the text, or the RFC 4918 DAV:error
// XML of a precondition. Neither ever shows the internal error of a 5xx,
// a local path or a Go error string (see publicMessage).

// writeErrorFor is writeError, as an HTML page for a browser's navigation.
func (h *Handler) writeErrorFor(w http.ResponseWriter, r *http.Request, status int, err error) {
	var de *Error
	if errors.As(err, &de) && de.Condition != "" || !browserNavigation(r) {
		writeError(w, status, err)
		return
	}
	pg := errorPage{Status: strconv.Itoa(status), Title: http.StatusText(status), Message: errorText(status, err),
		Home: h.hrefOf(h.top(), true), CSS: template.CSS(errorCSS)}
	var body bytes.Buffer
	if err := errorTmpl.Execute(&body, pg); err != nil {
		writeError(w, status, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", errorCSP)
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body.Bytes())
	}
}

// browserNavigation reports whether r is a browser opening a page: a GET
// or HEAD whose Accept lists text/html, with none of the headers only
// WebDAV clients send.
func browserNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || !wantsHTML(r) {
		return false
	}
	for _, k := range []string{"Depth", "If", "Destination", "Lock-Token", "Translate"} {
		if _, ok := r.Header[k]; ok {
			return false
		}
	}
	return true
}

// errorText is the one line a refusal says: its public message when it
// has one, else a client error's (see publicMessage); a server error's
// internal error is never shown.
func errorText(status int, err error) string {
	var de *Error
	switch {
	case errors.As(err, &de) && de.Public != "":
		return de.Public
	case err != nil && status < 500:
		return publicMessage(err)
	case status >= 500:
		return "The server could not do this. The error has been logged; try again later."
	}
	return ""
}

// errorPage is what errorTmpl renders.
type errorPage struct {
	Status, Title, Message, Home string
	CSS                          template.CSS
}

const errorCSS = `body{margin:0 auto;max-width:40rem;padding:2rem 1rem;font:16px/1.5 system-ui,sans-serif;color:#1f2328;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}a{color:#6cb6ff}}
h1{font-size:1.5rem;margin:0 0 1rem}a{color:#0550ae}`

var (
	errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{{.Status}} {{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>{{.Status}} {{.Title}}</h1>
{{with .Message}}<p>{{.}}</p>{{end}}
<p><a href="{{.Home}}">Back to the top folder</a></p>
</main>
</body>
</html>
`))
	errorCSP = "default-src 'none'; style-src " + cspHash(errorCSS) + "; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
