package bench

import (
	"strings"
	"testing"
)

func TestApacheConf(t *testing.T) {
	l := NewApacheLayout("/tmp/cmp/apache", "/usr/lib/apache2/modules", "127.0.0.1:8123")
	conf := string(l.Conf())
	for _, want := range []string{
		`ServerRoot "/tmp/cmp/apache"`,
		"Listen 127.0.0.1:8123",
		`LoadModule mpm_event_module "/usr/lib/apache2/modules/mod_mpm_event.so"`,
		`LoadModule dav_module "/usr/lib/apache2/modules/mod_dav.so"`,
		`LoadModule dav_fs_module "/usr/lib/apache2/modules/mod_dav_fs.so"`,
		`DavLockDB "/tmp/cmp/apache/lock/DavLock"`,
		`DocumentRoot "/tmp/cmp/apache/htdocs"`,
		"Dav On",
		"KeepAlive On",
		"LimitRequestBody 0",
		`PidFile "/tmp/cmp/apache/run/apache2.pid"`,
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	for _, unwanted := range []string{"CustomLog", "TransferLog", "User ", "${"} {
		if strings.Contains(conf, unwanted) {
			t.Errorf("config has %q (access log, user switch or an undefined variable):\n%s", unwanted, conf)
		}
	}
	l.User = "www-data"
	if conf := string(l.Conf()); !strings.Contains(conf, "User www-data\nGroup www-data") {
		t.Errorf("config with a user lacks User and Group:\n%s", conf)
	}
	for _, d := range l.Dirs() {
		if !strings.HasPrefix(d, l.Root+"/") {
			t.Errorf("folder %s is outside the ServerRoot", d)
		}
	}
}
