package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// healthServer serves /healthz with the given status on loopback and returns its port.
func healthServer(tb testing.TB, status int) string {
	tb.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		fmt.Fprintln(w, http.StatusText(status))
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // answer only when the client gives up
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// closedPort returns a loopback port nothing listens on.
func closedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

func TestHealth(t *testing.T) {
	ok := healthServer(t, http.StatusOK)
	down := healthServer(t, http.StatusServiceUnavailable)
	closed := closedPort(t)
	tests := []struct {
		name    string
		args    []string
		env     string // VIGIL_HTTP, when set
		wantErr string // substring of the error; empty: success
		usage   bool   // want errUsage
	}{
		{name: "healthy", args: []string{"--http", "127.0.0.1:" + ok}},
		{name: "empty host means loopback", args: []string{"--http", ":" + ok}},
		{name: "unspecified host means loopback", args: []string{"--http", "0.0.0.0:" + ok}},
		{name: "address from VIGIL_HTTP", env: "0.0.0.0:" + ok},
		{name: "flag beats VIGIL_HTTP", args: []string{"--http", "127.0.0.1:" + ok}, env: "127.0.0.1:" + closed},
		{name: "not 200", args: []string{"--http", "127.0.0.1:" + down}, wantErr: "503 Service Unavailable"},
		{name: "wrong path", args: []string{"--http", "127.0.0.1:" + ok, "--path", "readyz"}, wantErr: "404"},
		{name: "nothing listening", args: []string{"--http", "127.0.0.1:" + closed}, wantErr: "connection refused"},
		{name: "no answer in time", args: []string{"--http", "127.0.0.1:" + ok, "--path", "/slow", "--timeout", "200ms"},
			wantErr: "deadline exceeded"},
		{name: "no port", args: []string{"--http", "127.0.0.1"}, wantErr: "missing port"},
		{name: "stray argument", args: []string{"extra"}, usage: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("VIGIL_HTTP", tc.env)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"health"}, tc.args...), &stdout, &stderr)
			switch {
			case tc.usage:
				if !errors.Is(err, errUsage) {
					t.Fatalf("err = %v, want errUsage", err)
				}
			case tc.wantErr == "":
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if got := stdout.String(); !strings.Contains(got, "/healthz: OK") {
					t.Errorf("stdout = %q, want the URL and the answer", got)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	tests := []struct {
		addr, path, want string
	}{
		{"127.0.0.1:8080", "/healthz", "http://127.0.0.1:8080/healthz"},
		{":8080", "/healthz", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:8080", "readyz", "http://127.0.0.1:8080/readyz"},
		{"[::]:8080", "/healthz", "http://[::1]:8080/healthz"},
		{"[::1]:9", "/healthz", "http://[::1]:9/healthz"},
		{"node-3.vigil:8080", "/healthz", "http://node-3.vigil:8080/healthz"},
	}
	for _, tc := range tests {
		t.Run(tc.addr+tc.path, func(t *testing.T) {
			got, err := healthURL(tc.addr, tc.path)
			if err != nil || got != tc.want {
				t.Fatalf("healthURL(%q, %q) = %q, %v; want %q", tc.addr, tc.path, got, err, tc.want)
			}
		})
	}
}
