package main

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

func TestParseClientFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		pos     []string
		addr    string
		label   string
		replace bool
		err     error
	}{
		{name: "flags after the arguments", args: []string{"cam1", "http://h/a.ts", "--replace", "--label", "team=news"},
			pos: []string{"cam1", "http://h/a.ts"}, addr: defaultAdminAddr, label: "news", replace: true},
		{name: "flags between the arguments", args: []string{"--addr", "10.0.0.1:7070", "cam1", "--label", "team=a,b", "http://h/a.ts"},
			pos: []string{"cam1", "http://h/a.ts"}, addr: "10.0.0.1:7070", label: "a,b"},
		{name: "double dash ends flags", args: []string{"--replace", "--", "-odd-id", "--not-a-flag"},
			pos: []string{"-odd-id", "--not-a-flag"}, addr: defaultAdminAddr, replace: true},
		{name: "address from the environment", args: []string{"cam1"}, env: map[string]string{"VIGIL_ADDR": "node-b:7070"},
			pos: []string{"cam1"}, addr: "node-b:7070"},
		{name: "the flag beats the environment", args: []string{"--addr", "a:1"}, env: map[string]string{"VIGIL_ADDR": "b:2"},
			addr: "a:1"},
		{name: "an agent's variables do not leak in", args: []string{"cam1"}, env: map[string]string{"VIGIL_LABEL": "x=y", "VIGIL_REPLACE": "true"},
			pos: []string{"cam1"}, addr: defaultAdminAddr},
		{name: "unknown flag", args: []string{"cam1", "--nope"}, err: errUsage},
		{name: "bad label", args: []string{"--label", "novalue"}, err: errUsage},
		{name: "help", args: []string{"-h"}, err: errHelp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs := newFlagSet("test", "", io.Discard)
			var c clientFlags
			c.register(fs)
			labels := labelFlag{}
			fs.Var(labels, "label", "")
			replace := fs.Bool("replace", false, "")
			pos, err := parseClientFlags(fs, tc.args)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !slices.Equal(pos, tc.pos) || c.addr != tc.addr || labels["team"] != tc.label || *replace != tc.replace {
				t.Errorf("got pos %q addr %q label %q replace %v; want %q %q %q %v", pos, c.addr, labels["team"], *replace,
					tc.pos, tc.addr, tc.label, tc.replace)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	conn := &adminConn{flags: &clientFlags{addr: "127.0.0.1:7070", timeout: 5 * time.Second}}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"invalid argument", status.Error(codes.InvalidArgument, `url scheme "concat" is not allowed`),
			`streams assign: invalid argument: url scheme "concat" is not allowed`},
		{"not found", status.Error(codes.NotFound, `stream "x"`), `streams assign: not found: stream "x"`},
		{"not joined", status.Error(codes.Unavailable, `node "a" has not joined the cluster yet; retry in a few seconds`),
			`streams assign: unavailable: node "a" has not joined the cluster yet; retry in a few seconds`},
		{"refused", status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:7070: connect: connection refused"`),
			"streams assign: cannot reach a vigil agent at 127.0.0.1:7070: connection refused (is `vigil agent` running there? set --addr or VIGIL_ADDR)"},
		{"unknown host", status.Error(codes.Unavailable, `name resolver error: produced zero addresses`),
			"streams assign: cannot reach a vigil agent at 127.0.0.1:7070: name resolver error: produced zero addresses"},
		{"timeout", status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
			"streams assign: no answer from 127.0.0.1:7070 within 5s (raise --timeout?)"},
		{"not a status", errors.New("boom"), "streams assign: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := conn.explain("streams assign", tc.err).Error()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("explain = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStreamRecord(t *testing.T) {
	since := time.Date(2026, 3, 1, 12, 0, 1, 234_000_000, time.UTC)
	tests := []struct {
		name string
		in   *vigilv1.Stream
		want string
	}{
		{"running", &vigilv1.Stream{Spec: &vigilv1.StreamSpec{Id: "cam1", Url: "http://h/a.ts", Labels: map[string]string{"team": "news"}},
			Owner: "n1", State: vigilv1.StreamState_STREAM_STATE_RUNNING, RunningSinceUnixMs: since.UnixMilli(), Epoch: 7,
			AssignedAtUnixMs: since.UnixMilli(), Restarts: 2, Defects: 3, Runners: []string{"n1"}},
			`{"id":"cam1","url":"http://h/a.ts","owner":"n1","state":"running","running_since":"2026-03-01T12:00:01.234Z","epoch":7,` +
				`"assigned_at":"2026-03-01T12:00:01.234Z","restarts":2,"defects":3,"crashes":0,"runners":["n1"],"labels":{"team":"news"}}`},
		{"unplaced", &vigilv1.Stream{Spec: &vigilv1.StreamSpec{Id: "cam2", Url: "http://h/b.ts"}, State: vigilv1.StreamState_STREAM_STATE_UNPLACED},
			`{"id":"cam2","url":"http://h/b.ts","owner":"","state":"unplaced","running_since":"","epoch":0,"assigned_at":"",` +
				`"restarts":0,"defects":0,"crashes":0,"runners":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(streamRecord(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
	for s, want := range map[vigilv1.StreamState]string{
		vigilv1.StreamState_STREAM_STATE_STARTING: "starting", vigilv1.StreamState_STREAM_STATE_RETRYING: "retrying",
		vigilv1.StreamState_STREAM_STATE_STOPPED: "stopped", vigilv1.StreamState_STREAM_STATE_QUARANTINED: "quarantined",
		vigilv1.StreamState_STREAM_STATE_UNSPECIFIED: "unknown",
	} {
		if got := stateName(s); got != want {
			t.Errorf("stateName(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestStreamTableAligned(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var b strings.Builder
	err := writeStreamTable(&b, []*vigilv1.Stream{
		{Spec: &vigilv1.StreamSpec{Id: "a", Url: "http://h/a.ts"}, Owner: "node-one", State: vigilv1.StreamState_STREAM_STATE_RUNNING,
			RunningSinceUnixMs: now.Add(-95 * time.Second).UnixMilli()},
		{Spec: &vigilv1.StreamSpec{Id: "a-much-longer-id", Url: "http://h/b.ts"}, State: vigilv1.StreamState_STREAM_STATE_UNPLACED},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", b.String())
	}
	col := strings.Index(lines[0], "STATE")
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("column STATE not aligned in %q (header %q)", l, lines[0])
		}
	}
	if !strings.Contains(lines[1], "1m35s") || !strings.Contains(lines[2], "unplaced  -") {
		t.Errorf("table:\n%s", b.String())
	}
}
