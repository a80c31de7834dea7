package htpasswd

import (
	"errors"
	"testing"
)

// The hashes of "pässword:1" made by Debian's htpasswd (apache2-utils):
// -B, -m, -s, -2, -5 and -2 -r 10000; and by openssl passwd -1.
var known = []struct {
	hash, scheme string
	weak         bool
}{
	{"$2y$05$2zlZthXM0zW3LRIZT/8noe7HhWmMyphCkCwctCAht1qt2j27cyLVy", "bcrypt", false},
	{"$apr1$Eou2IGcT$gvJHcF6JBDX76G7BxBHU4.", "apr1", true},
	{"{SHA}PcoIHxhUptvsl48mfbCyv35Tfsw=", "sha1", true},
	{"$5$IiFNFbWuOSqCF8sU$ZPEWvVdsLMYezalp83o7hj3.LIB/715ZxP1NEspvUL.", "sha256-crypt", false},
	{"$6$bGssn8bQoB61wR30$kYuN4avNu6vCIJRpJiDoWXZ5zpHgawKaqVOeARVl9jaZDRlWE1rMsLXYujotXwh4GcQnj4hQJ33og3a1OBNZE.", "sha512-crypt", false},
	{"$5$rounds=10000$VtfzjjWO62P6kgNH$SBEQAqU2Nv23IE8bU73eLfooG89VJt1YlsfGHNkEQN.", "sha256-crypt", false},
	{"$1$abcdefgh$W5jFR7vKfq6SmMypnKqLt1", "md5-crypt", true},
}

func TestCompareKnownHashes(t *testing.T) {
	for _, k := range known {
		t.Run(k.scheme, func(t *testing.T) {
			s, err := Check(k.hash)
			if err != nil || s.Name != k.scheme || s.Weak != k.weak {
				t.Fatalf("Check = %+v, %v; want %s weak=%v", s, err, k.scheme, k.weak)
			}
			if err := Compare(k.hash, []byte("pässword:1")); err != nil {
				t.Errorf("right password: %v", err)
			}
			for _, wrong := range []string{"", "pässword:2", "pässword:1 ", "password:1"} {
				if err := Compare(k.hash, []byte(wrong)); !errors.Is(err, ErrMismatch) {
					t.Errorf("wrong password %q: %v, want ErrMismatch", wrong, err)
				}
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	for name, hash := range map[string]string{
		"plain text":          "secret",
		"DES crypt":           "RWOdqQwDbHt8Y",
		"empty":               "",
		"bcrypt truncated":    "$2y$05$2zlZthXM0zW3LRIZT/8noe7HhWmMyphCkCwctCAht1qt2j27cy",
		"SHA not base64":      "{SHA}!!!",
		"SHA short":           "{SHA}AAAA",
		"apr1 no sum":         "$apr1$Eou2IGcT$",
		"apr1 bad chars":      "$apr1$Eou2IGcT$gvJHcF6JBDX76G7BxBHU4!",
		"sha512 short":        "$6$salt$abc",
		"too many rounds":     "$5$rounds=999999999$IiFNFbWuOSqCF8sU$ZPEWvVdsLMYezalp83o7hj3.LIB/715ZxP1NEspvUL.",
		"rounds not a number": "$5$rounds=1e3$IiFNFbWuOSqCF8sU$ZPEWvVdsLMYezalp83o7hj3.LIB/715ZxP1NEspvUL.",
		"unknown scheme":      "$y$j9T$abc$def",
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := Check(hash); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Check(%q) = %+v, %v; want ErrUnsupported", hash, s, err)
			}
			if err := Compare(hash, []byte(hash)); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Compare(%q) = %v; want ErrUnsupported", hash, err)
			}
		})
	}
}
