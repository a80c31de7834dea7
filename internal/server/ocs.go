package server

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// ncVersion is the Nextcloud version status.php and the capabilities
// claim: clients check it before anything else, and refuse or warn about
// servers below their minimum (the Nextcloud desktop client's is 20, older
// builds 16; ownCloud's clients want 10 or more). 28 is a release whose
// WebDAV and OCS behaviour atomdav's layout follows.
const (
	ncMajor         = 28
	ncVersionString = "28.0.0"
	ncVersion       = "28.0.0.0"
)

// writeStatus answers status.php as Nextcloud does, with no
// authentication and nothing about the server beyond that it is
// installed, not in maintenance, and which version it claims.
func writeStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(`{"installed":true,"maintenance":false,"needsDbUpgrade":false,` +
		`"version":"` + ncVersion + `","versionstring":"` + ncVersionString + `",` +
		`"edition":"","productname":"atomdav","extendedSupport":false}`))
}

// capabilities is what /ocs/v*.php/cloud/capabilities advertises of the
// server: chunked uploads (Nextcloud chunking v2) only when they are
// served, and the checksum types an upload's OC-Checksum may use.
type capabilities struct {
	chunking  bool
	checksums []string
}

// capabilities is what this server advertises to Nextcloud clients.
func (s *Server) capabilities() capabilities {
	// The types dav checks an OC-Checksum against (clientext.go), and
	// chunked uploads whenever /remote.php/dav/uploads/ serves them
	// (dav.Handler.ServeUploads over the upload store).
	// SHA1 first: it becomes preferredUploadType, the one desktop clients
	// send, and the one every version of them can compute.
	return capabilities{chunking: s.uploads != nil, checksums: []string{"SHA1", "MD5", "ADLER32", "SHA256", "SHA512"}}
}

// The OCS envelope (Nextcloud's Open Collaboration Services API): XML by
// default, JSON when asked for with format=json or Accept.
type (
	ocsMeta struct {
		Status       string `json:"status" xml:"status"`
		StatusCode   int    `json:"statuscode" xml:"statuscode"`
		Message      string `json:"message" xml:"message"`
		TotalItems   string `json:"totalitems" xml:"totalitems"`
		ItemsPerPage string `json:"itemsperpage" xml:"itemsperpage"`
	}
	ocsBody struct {
		XMLName xml.Name `json:"-" xml:"ocs"`
		Meta    ocsMeta  `json:"meta" xml:"meta"`
		Data    any      `json:"data" xml:"data"`
	}
	// ocsEmpty is the data of a failure: [] in JSON, <data/> in XML.
	ocsEmpty struct{}

	ocsVersion struct {
		Major           int    `json:"major" xml:"major"`
		Minor           int    `json:"minor" xml:"minor"`
		Micro           int    `json:"micro" xml:"micro"`
		String          string `json:"string" xml:"string"`
		Edition         string `json:"edition" xml:"edition"`
		ExtendedSupport bool   `json:"extendedSupport" xml:"extendedSupport"`
	}
	ocsCapabilities struct {
		Version      ocsVersion `json:"version" xml:"version"`
		Capabilities struct {
			Core struct {
				PollInterval int    `json:"pollinterval" xml:"pollinterval"`
				WebdavRoot   string `json:"webdav-root" xml:"webdav-root"`
			} `json:"core" xml:"core"`
			DAV *struct {
				Chunking string `json:"chunking" xml:"chunking"`
			} `json:"dav,omitempty" xml:"dav,omitempty"`
			Checksums struct {
				SupportedTypes      []string `json:"supportedTypes" xml:"supportedTypes>element"`
				PreferredUploadType string   `json:"preferredUploadType" xml:"preferredUploadType"`
			} `json:"checksums" xml:"checksums"`
			Files struct {
				BigFileChunking bool `json:"bigfilechunking" xml:"bigfilechunking"`
				Undelete        bool `json:"undelete" xml:"undelete"`
				Versioning      bool `json:"versioning" xml:"versioning"`
			} `json:"files" xml:"files"`
		} `json:"capabilities" xml:"capabilities"`
	}
	ocsUser struct {
		ID          string  `json:"id" xml:"id"`
		DisplayName string  `json:"display-name" xml:"display-name"`
		Email       *string `json:"email" xml:"email,omitempty"`
	}
)

func (ocsEmpty) MarshalJSON() ([]byte, error) { return []byte("[]"), nil }

// serveOCS answers /ocs/v1.php/… and /ocs/v2.php/…: the capabilities,
// to anyone (as Nextcloud does), the authenticated user's id and display
// name, and a 404 in OCS form for anything else.
func (g *gate) serveOCS(w http.ResponseWriter, r *http.Request) {
	_, _, rest := g.nc.locate(r.URL.Path)
	v2 := strings.HasPrefix(rest, ncOCSv2)
	endpoint := strings.TrimSuffix(rest[len(ncOCSv1):], "/") // both prefixes are as long
	if endpoint != "/cloud/capabilities" && endpoint != "/cloud/user" {
		writeOCS(w, r, v2, http.StatusNotFound, "Invalid query, please check the syntax", ocsEmpty{})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeOCS(w, r, v2, http.StatusMethodNotAllowed, "Method not allowed", ocsEmpty{})
		return
	}
	if endpoint == "/cloud/capabilities" {
		writeOCS(w, r, v2, http.StatusOK, "OK", g.nc.caps.data())
		return
	}
	view, r, user := g.route(w, r)
	switch {
	case view == nil: // refused (401, 429…) or answered
	case view == g.anon:
		w.Header().Set("WWW-Authenticate", challenge)
		writeOCS(w, r, v2, http.StatusUnauthorized, "Current user is not logged in", ocsEmpty{})
	default:
		writeOCS(w, r, v2, http.StatusOK, "OK", ocsUser{ID: user, DisplayName: user})
	}
}

// data is the capabilities' OCS data.
func (c capabilities) data() *ocsCapabilities {
	d := &ocsCapabilities{Version: ocsVersion{Major: ncMajor, String: ncVersionString}}
	caps := &d.Capabilities
	caps.Core.PollInterval = 60
	caps.Core.WebdavRoot = strings.TrimPrefix(ncWebdav, "/")
	if c.chunking {
		caps.DAV = &struct {
			Chunking string `json:"chunking" xml:"chunking"`
		}{Chunking: "1.0"}
	}
	caps.Checksums.SupportedTypes = c.checksums
	if len(c.checksums) > 0 {
		caps.Checksums.PreferredUploadType = c.checksums[0]
	}
	caps.Files.BigFileChunking = c.chunking
	return d
}

// writeOCS writes an OCS answer: v1 says success with status code 100,
// v2 with 200, both failures with the HTTP status (v1 a 404 as 998, a 401
// as 997, as Nextcloud does).
func writeOCS(w http.ResponseWriter, r *http.Request, v2 bool, status int, msg string, data any) {
	meta := ocsMeta{Status: "ok", StatusCode: status, Message: msg}
	if status != http.StatusOK {
		meta.Status = "failure"
	}
	if !v2 {
		switch status {
		case http.StatusOK:
			meta.StatusCode = 100
		case http.StatusNotFound:
			meta.StatusCode = 998
		case http.StatusUnauthorized:
			meta.StatusCode = 997
		}
	}
	body := ocsBody{Meta: meta, Data: data}
	var out []byte
	var err error
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		out, err = json.Marshal(map[string]ocsBody{"ocs": body})
	} else {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		out, err = xml.Marshal(body)
		out = append([]byte(xml.Header), out...)
	}
	if err != nil { // only fixed types are marshalled: cannot happen
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(out)
	}
}

// wantsJSON reports whether an OCS client asked for JSON.
func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}
