package dav

import "testing"

// TestOCPermissions: the letters Nextcloud clients read of oc:permissions
// for files, folders and the view's root, writable and read-only.
func TestOCPermissions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		root     string
		readOnly bool
		p        string
		dir      bool
		want     string
	}{
		{"file of a writable view", "/home", false, "/home/a.txt", false, "DNVW"},
		{"folder of a writable view", "/home", false, "/home/docs", true, "DNVCK"},
		{"the view's root: create only", "/home", false, "/home", true, "CK"},
		{"the whole share's root", "", false, "/", true, "CK"},
		{"a folder of the whole share", "", false, "/docs", true, "DNVCK"},
		{"file of a read-only view", "/pub", true, "/pub/a.txt", false, ""},
		{"folder of a read-only view", "/pub", true, "/pub/docs", true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{root: tc.root, readOnly: tc.readOnly}
			if got := h.ocPermissions(tc.p, tc.dir); got != tc.want {
				t.Errorf("ocPermissions(%q, dir %v) = %q, want %q", tc.p, tc.dir, got, tc.want)
			}
		})
	}
}
