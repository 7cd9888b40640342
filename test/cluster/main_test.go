package cluster

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vigilBin is the vigil binary built once for the package's tests.
var vigilBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("test/cluster: skipped in -short mode (multi-process tests)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "vigil-cluster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bin, err := buildVigil(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		vigilBin = bin
		return m.Run()
	}()
	os.Exit(code)
}

// buildVigil builds cmd/vigil (without the race detector: the agents are the
// system under test here, not the test's own goroutines) into dir.
func buildVigil(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "vigil")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/vigil")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build vigil: %w\n%s", err, out)
	}
	return bin, nil
}
