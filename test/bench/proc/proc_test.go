package proc

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// burn is a shell loop that keeps one core busy for a moment.
const burn = `i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done`

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		busy    bool
		wantErr bool
	}{
		{"busy child", []string{"-c", burn}, true, false},
		{"idle child", []string{"-c", "echo done"}, false, false},
		{"failing child", []string{"-c", "echo oops >&2; exit 3"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			u, err := Run(context.Background(), &out, "sh", tt.args...)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "oops") {
					t.Fatalf("err = %v, want one with the child's stderr", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != "done\n" {
				t.Errorf("stdout %q", out.String())
			}
			if tt.busy && u.CPU() < 50*time.Millisecond {
				t.Errorf("busy child used %v CPU", u.CPU())
			}
			if !tt.busy && u.CPU() > 50*time.Millisecond {
				t.Errorf("idle child used %v CPU", u.CPU())
			}
			if u.Wall <= 0 || u.MaxRSS <= 0 {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestRead(t *testing.T) {
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.RSS < 1<<20 {
		t.Errorf("RSS %d bytes", a.RSS)
	}
	// Burn CPU in this process until the counter moves (it ticks every 10 ms).
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for {
		for i := 0; i < 1e6; i++ {
			x += i
		}
		b, err := Read(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if b.CPU > a.CPU {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stuck at %v (%d)", b.CPU, x)
		}
	}
	if _, err := Read(-1); err == nil {
		t.Error("Read(-1) succeeded")
	}
}
