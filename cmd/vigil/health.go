package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

func init() {
	commands["health"] = command{
		summary: "check a local agent's /healthz (exit 0 healthy, 1 not)",
		run:     runHealth,
	}
}

const healthUsage = `[flags]

Asks the agent serving HTTP on --http for --path and exits 0 when it answers 200 OK,
1 otherwise. It is the container image's HEALTHCHECK: the image holds no shell and no
curl, only vigil. An unspecified host in --http (":8080", "0.0.0.0:8080", "[::]:8080")
means this machine, so the flag takes the same value as the agent's --http and reads
the same VIGIL_HTTP variable.`

func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("health", healthUsage, stderr)
	addr := fs.String("http", "127.0.0.1:8080", "the agent's HTTP address, host:port")
	path := fs.String("path", "/healthz", "path to ask for, e.g. /readyz")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil health: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	url, err := healthURL(*addr, *path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	// No proxy: the agent is on this machine, whatever HTTP_PROXY says.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	if err != nil {
		return fmt.Errorf("health: read %s: %w", url, err)
	}
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s: %s: %s", url, resp.Status, text)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, text)
	return nil
}

// healthURL is the URL of path on the agent listening on addr; an unspecified or empty
// host becomes the loopback address of the same family.
func healthURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--http %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
