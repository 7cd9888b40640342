package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    error
		stderrs string
	}{
		{"no command", nil, errUsage, "commands:"},
		{"unknown command", []string{"nope"}, errUsage, `unknown command "nope"`},
		{"help of a command", []string{"accuracy", "-h"}, flag.ErrHelp, "-big"},
		{"bad flag value", []string{"cpu", "-runs", "0", "-detect-bench=false"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (err == nil || !strings.Contains(err.Error(), "-runs 0")) {
				t.Fatalf("err = %v, want a complaint about -runs", err)
			}
			if !strings.Contains(stderr.String(), tt.stderrs) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrs, stderr.String())
			}
		})
	}
}

func TestReproduce(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "`make bench-cpu` (runs `bin/vigilbench cpu`)"},
		{"plain words", []string{"-runs", "9"}, "`make bench-cpu BENCH_CPU_FLAGS='-runs 9'` (runs `bin/vigilbench cpu -runs 9`)"},
		{"a value with spaces", []string{"-vigil-b-about", "linked with GNU ld"},
			"`make bench-cpu BENCH_CPU_FLAGS='-vigil-b-about \"linked with GNU ld\"'`"},
		{"shell characters", []string{"-x", `a$b"c`}, `"a\$b\"c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reproduce("cpu", "BENCH_CPU_FLAGS", tt.args); !strings.Contains(got, tt.want) {
				t.Errorf("reproduce(%q) = %q, want it to contain %q", tt.args, got, tt.want)
			}
		})
	}
}
