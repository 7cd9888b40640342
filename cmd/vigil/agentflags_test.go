package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAgentClusterConfig(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "gossip.key")
	if err := os.WriteFile(keyFile, []byte("MDEyMzQ1Njc4OWFiY2RlZg==\n"), 0o600); err != nil { // 16 bytes
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		listen    string // the admin listener's address
		bind      string
		bindPort  int
		advertise string
		advPort   int
		admin     string
		label     string
		encrypted bool
		err       string
	}{
		{name: "defaults", listen: "127.0.0.1:7070", bind: "0.0.0.0", bindPort: 7946, advPort: 7946, admin: "127.0.0.1:7070"},
		{name: "addresses", args: []string{"--bind", "10.1.2.3:8000", "--advertise", "192.0.2.7", "--cluster-label", "prod"},
			listen: "0.0.0.0:7070", bind: "10.1.2.3", bindPort: 8000, advertise: "192.0.2.7", advPort: 8000, admin: "192.0.2.7:7070", label: "prod"},
		{name: "advertise with port", args: []string{"--advertise", "192.0.2.7:9000"}, listen: "127.0.0.1:7070",
			bind: "0.0.0.0", bindPort: 7946, advertise: "192.0.2.7", advPort: 9000, admin: "127.0.0.1:7070"},
		{name: "unspecified admin host takes the bind host", args: []string{"--bind", "10.1.2.3:7946"}, listen: "[::]:7070",
			bind: "10.1.2.3", bindPort: 7946, advPort: 7946, admin: "10.1.2.3:7070"},
		{name: "nothing specific: the host name", listen: "0.0.0.0:7070", bind: "0.0.0.0", bindPort: 7946, advPort: 7946, admin: host + ":7070"},
		{name: "key file", args: []string{"--gossip-key-file", keyFile}, listen: "127.0.0.1:7070", bind: "0.0.0.0", bindPort: 7946,
			advPort: 7946, admin: "127.0.0.1:7070", encrypted: true},
		{name: "key in the environment", env: map[string]string{"VIGIL_GOSSIP_KEY": "MDEyMzQ1Njc4OWFiY2RlZg=="}, listen: "127.0.0.1:7070",
			bind: "0.0.0.0", bindPort: 7946, advPort: 7946, admin: "127.0.0.1:7070", encrypted: true},
		{name: "bad key", env: map[string]string{"VIGIL_GOSSIP_KEY": "c2hvcnQ="}, listen: "127.0.0.1:7070", err: "gossip key"},
		{name: "both keys", args: []string{"--gossip-key-file", keyFile}, env: map[string]string{"VIGIL_GOSSIP_KEY": "x"},
			listen: "127.0.0.1:7070", err: "both --gossip-key-file and VIGIL_GOSSIP_KEY"},
		{name: "bind without port", args: []string{"--bind", "10.1.2.3"}, listen: "127.0.0.1:7070", err: "--bind"},
		{name: "env flags", env: map[string]string{"VIGIL_BIND": "127.0.0.1:7000", "VIGIL_JOIN": "a:7946,b:7946"},
			listen: "127.0.0.1:7070", bind: "127.0.0.1", bindPort: 7000, advPort: 7000, admin: "127.0.0.1:7070"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			f, _, err := parseAgentFlags(append(tc.args, "--log-level", "error"), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := f.clusterConfig(tc.listen, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ml := cfg.Membership.Memberlist
			if ml.BindAddr != tc.bind || ml.BindPort != tc.bindPort || ml.AdvertiseAddr != tc.advertise || ml.AdvertisePort != tc.advPort ||
				cfg.AdminAddr != tc.admin || ml.Label != tc.label || (ml.Keyring != nil) != tc.encrypted {
				t.Errorf("bind %s:%d advertise %s:%d admin %s label %q encrypted %v; want %s:%d %s:%d %s %q %v",
					ml.BindAddr, ml.BindPort, ml.AdvertiseAddr, ml.AdvertisePort, cfg.AdminAddr, ml.Label, ml.Keyring != nil,
					tc.bind, tc.bindPort, tc.advertise, tc.advPort, tc.admin, tc.label, tc.encrypted)
			}
			if tc.name == "env flags" && len(cfg.Membership.Join) != 2 {
				t.Errorf("join = %v, want the two seeds of VIGIL_JOIN", cfg.Membership.Join)
			}
		})
	}
}

func TestParseStreams(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		n     int
		err   bool
	}{
		{"two", []string{"a=http://h/a.ts", "b=udp://239.0.0.1:1234"}, 2, false},
		{"no url", []string{"a="}, 0, true},
		{"twice", []string{"a=http://h/1", "a=http://h/2"}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStreams(tc.flags, map[string]float64{"black.min_duration": 1})
			if (err != nil) != tc.err || len(got) != tc.n {
				t.Fatalf("parseStreams = %v, %v", got, err)
			}
			for _, s := range got {
				if s.Thresholds["black.min_duration"] != 1 {
					t.Errorf("%s: thresholds %v", s.ID, s.Thresholds)
				}
			}
		})
	}
	if _, err := parseStreams([]string{"nourl"}, nil); err == nil || errors.Is(err, errUsage) {
		t.Errorf("parseStreams(nourl) = %v", err)
	}
}

// TestAgentFlagLimits checks the flags whose values are refused with a message that
// says what to fix, and that --no-signal reaches the parsed flags.
func TestAgentFlagLimits(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--no-signal", "100ms"}, "--no-signal 100ms: want at least 500ms"},
		{[]string{"--drain-timeout", "0s"}, "--drain-timeout 0s: must be positive"},
		{[]string{"--forget-after", "500ms"}, "--forget-after 500ms: want at least 1s"},
		{[]string{"--demo", "--demo-channels", "0"}, "--demo-channels 0: want 1 to 64"},
	} {
		_, _, err := parseAgentFlags(tc.args, io.Discard)
		if err == nil || err.Error() != tc.err {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.err)
		}
	}
	f, _, err := parseAgentFlags([]string{"--no-signal", "12s", "--forget-after", "90s"}, io.Discard)
	if err != nil || f.noSignal != 12*time.Second {
		t.Errorf("--no-signal 12s: %v, %v", f.noSignal, err)
	}
	if cfg, err := f.clusterConfig("127.0.0.1:7070", nil); err != nil || cfg.ForgetAfter != 90*time.Second {
		t.Errorf("--forget-after 90s: cluster ForgetAfter %v, %v", cfg.ForgetAfter, err)
	}
}
