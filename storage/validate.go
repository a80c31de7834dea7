package storage

import (
	"errors"
	"fmt"
	"time"
)

// The checks every store makes of its arguments, written once here so that
// the stores refuse the same things with the same errors.

// ErrInvalidIntent is wrapped by BeginIntent's error for an intent with an
// unknown Op, or an OpDelete with a Dst (see CheckIntent). Paths that are
// not canonical are reported with ErrInvalidPath instead.
var ErrInvalidIntent = errors.New("storage: invalid intent")

// ErrInvalidLock is wrapped by a lock table's error for a lock it cannot
// hold: an empty token or one too long for its keys, a timeout that is not
// positive (see CheckLock), or the token of a live lock already held. A
// Root that is not canonical is reported with ErrInvalidPath instead.
var ErrInvalidLock = errors.New("storage: invalid lock")

// CheckPaths returns an error wrapping ErrInvalidPath, naming the path, for
// the first of paths that is not canonical (see ValidPath); nil otherwise.
func CheckPaths(paths ...string) error {
	for _, p := range paths {
		if !ValidPath(p) {
			return fmt.Errorf("%w: %q", ErrInvalidPath, p)
		}
	}
	return nil
}

// CheckIntent validates an intent's Op and paths: OpMove and OpCopy need
// canonical Src and Dst, OpDelete a canonical Src and no Dst. A store checks
// an intent when it is begun and again when it is read back, so that a
// damaged record is reported rather than applied.
func CheckIntent(in Intent) error {
	switch in.Op {
	case OpMove, OpCopy:
		return CheckPaths(in.Src, in.Dst)
	case OpDelete:
		if in.Dst != "" {
			return fmt.Errorf("%w: delete with a destination %q", ErrInvalidIntent, in.Dst)
		}
		return CheckPaths(in.Src)
	default:
		return fmt.Errorf("%w: unknown op %q", ErrInvalidIntent, in.Op)
	}
}

// CheckToken returns an error wrapping ErrInvalidLock for a lock token
// that is empty or, when maxBytes is positive, longer than maxBytes (the
// store's key size limit).
func CheckToken(token string, maxBytes int) error {
	switch {
	case token == "":
		return fmt.Errorf("%w: empty token", ErrInvalidLock)
	case maxBytes > 0 && len(token) > maxBytes:
		return fmt.Errorf("%w: token of %d bytes exceeds %d", ErrInvalidLock, len(token), maxBytes)
	}
	return nil
}

// CheckLock is CheckToken(token, maxTokenBytes) and a timeout that must be
// positive: what CreateLock and RefreshLock check before any transaction.
func CheckLock(token string, timeout time.Duration, maxTokenBytes int) error {
	if err := CheckToken(token, maxTokenBytes); err != nil {
		return err
	}
	if timeout <= 0 {
		return fmt.Errorf("%w: timeout %v is not positive", ErrInvalidLock, timeout)
	}
	return nil
}
