package htpasswd

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/apr1_crypt"   // registers $apr1$
	_ "github.com/GehirnInc/crypt/md5_crypt"    // registers $1$
	_ "github.com/GehirnInc/crypt/sha256_crypt" // registers $5$
	_ "github.com/GehirnInc/crypt/sha512_crypt" // registers $6$
	"golang.org/x/crypto/bcrypt"
)

// MaxRounds is the most rounds a SHA-crypt hash may ask for (htpasswd's
// default is 5000; glibc's limit, 999999999, would make one login cost
// minutes).
const MaxRounds = 1_000_000

var (
	// ErrUnsupported means the hash is of no scheme this package accepts:
	// plain text, DES crypt or something else.
	ErrUnsupported = errors.New("htpasswd: not a bcrypt, SHA-256/512 crypt, apr1, MD5 crypt or {SHA} hash (plain text and DES crypt are refused)")
	// ErrMismatch means the password is not the hash's.
	ErrMismatch = errors.New("htpasswd: wrong password")
)

// Scheme describes a hash's kind.
type Scheme struct {
	// Name is "bcrypt", "sha512-crypt", "sha256-crypt", "apr1",
	// "md5-crypt" or "sha1".
	Name string
	// Weak is true for schemes a stolen file gives away fast: unsalted
	// SHA-1 and the MD5-based ones.
	Weak bool
}

// Check returns the scheme of hash, or an error wrapping ErrUnsupported
// when the hash is malformed or of a scheme refused.
func Check(hash string) (Scheme, error) {
	switch {
	case strings.HasPrefix(hash, "$2"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil || len(hash) != 60 {
			return Scheme{}, fmt.Errorf("%w: malformed bcrypt hash", ErrUnsupported)
		}
		return Scheme{Name: "bcrypt"}, nil
	case strings.HasPrefix(hash, "{SHA}"):
		if d, err := base64.StdEncoding.DecodeString(hash[5:]); err != nil || len(d) != sha1.Size {
			return Scheme{}, fmt.Errorf("%w: malformed {SHA} hash", ErrUnsupported)
		}
		return Scheme{Name: "sha1", Weak: true}, nil
	case strings.HasPrefix(hash, "$apr1$"):
		return checkCrypt(hash, "$apr1$", 22, Scheme{Name: "apr1", Weak: true})
	case strings.HasPrefix(hash, "$1$"):
		return checkCrypt(hash, "$1$", 22, Scheme{Name: "md5-crypt", Weak: true})
	case strings.HasPrefix(hash, "$5$"):
		return checkCrypt(hash, "$5$", 43, Scheme{Name: "sha256-crypt"})
	case strings.HasPrefix(hash, "$6$"):
		return checkCrypt(hash, "$6$", 86, Scheme{Name: "sha512-crypt"})
	}
	return Scheme{}, ErrUnsupported
}

// checkCrypt checks a modular crypt hash: prefix, for SHA-crypt an
// optional "rounds=N$", a salt of 1 to 16 characters, then sumLen
// characters of crypt's base64.
func checkCrypt(hash, prefix string, sumLen int, s Scheme) (Scheme, error) {
	rest := hash[len(prefix):]
	if r, ok := strings.CutPrefix(rest, "rounds="); ok && (prefix == "$5$" || prefix == "$6$") {
		num, after, found := strings.Cut(r, "$")
		n, err := strconv.Atoi(num)
		if !found || err != nil || n < 1 || strconv.Itoa(n) != num {
			return Scheme{}, fmt.Errorf("%w: malformed rounds", ErrUnsupported)
		}
		if n > MaxRounds {
			return Scheme{}, fmt.Errorf("%w: %d rounds, more than %d", ErrUnsupported, n, MaxRounds)
		}
		rest = after
	}
	salt, sum, found := strings.Cut(rest, "$")
	if !found || len(salt) < 1 || len(salt) > 16 || !cryptChars(salt) || len(sum) != sumLen || !cryptChars(sum) {
		return Scheme{}, fmt.Errorf("%w: malformed %s hash", ErrUnsupported, s.Name)
	}
	return s, nil
}

// cryptChars reports whether s uses crypt's base64 alphabet only.
func cryptChars(s string) bool {
	for _, c := range []byte(s) {
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Compare returns nil when password matches hash, ErrMismatch when it does
// not, and an error wrapping ErrUnsupported when the hash is not one Check
// accepts. The comparison is in constant time for every scheme.
func Compare(hash string, password []byte) error {
	s, err := Check(hash)
	if err != nil {
		return err
	}
	switch s.Name {
	case "bcrypt":
		if bcrypt.CompareHashAndPassword([]byte(hash), password) != nil {
			return ErrMismatch
		}
		return nil
	case "sha1":
		sum := sha1.Sum(password)
		want, _ := base64.StdEncoding.DecodeString(hash[5:]) // checked
		if subtle.ConstantTimeCompare(sum[:], want) != 1 {
			return ErrMismatch
		}
		return nil
	}
	// The crypters recompute the hash with its salt and compare the two
	// with crypto/subtle.
	if crypt.NewFromHash(hash).Verify(hash, password) != nil {
		return ErrMismatch
	}
	return nil
}
