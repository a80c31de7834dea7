// Command rclone is rclone with only what atomdav's interop tests use: the
// local and WebDAV backends and the commands the tests run. It is its own
// module (go.mod beside it) so the main module's `./...` neither builds nor
// depends on rclone; `make rclone-current` builds it into bin/ for the
// tests (ATOMDAV_TEST_RCLONE_CURRENT), much faster than the full rclone binary.
package main

import (
	_ "github.com/rclone/rclone/backend/local"
	_ "github.com/rclone/rclone/backend/webdav"
	"github.com/rclone/rclone/cmd"
	_ "github.com/rclone/rclone/cmd/check"
	_ "github.com/rclone/rclone/cmd/copy"
	_ "github.com/rclone/rclone/cmd/hashsum"
	_ "github.com/rclone/rclone/cmd/lsjson"
	_ "github.com/rclone/rclone/cmd/obscure"
	_ "github.com/rclone/rclone/cmd/sync"
	_ "github.com/rclone/rclone/cmd/version"
)

func main() { cmd.Main() }
