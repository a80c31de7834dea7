package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// defaultHealthURL is the liveness endpoint of the operations listener the
// container image configures (metrics-addr 127.0.0.1:9090).
const defaultHealthURL = "http://127.0.0.1:9090/healthz"

// healthTimeout bounds one health check, connection included.
const healthTimeout = 5 * time.Second

// newHealthcheckCmd is `atomdav healthcheck [URL]`: a GET that exits 0 on
// a 2xx answer and 1 otherwise, for a container's HEALTHCHECK, where a
// minimal image has no curl or wget.
func newHealthcheckCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "GET URL (default " + defaultHealthURL + ") and exit 0 on a 2xx answer, 1 otherwise",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := defaultHealthURL
			if len(args) == 1 {
				url = args[0]
			}
			return healthcheck(cmd.Context(), url)
		},
	}
}

// healthcheck GETs url, following no redirect, and fails unless the
// answer is a 2xx.
func healthcheck(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}
