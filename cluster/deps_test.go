package cluster

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules keeps DESIGN.md's import rules for cluster/: it never depends on
// actors/ or media/, and only cluster/membership imports memberlist.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/vigil-monitor/vigil/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("unexpected go list line %q", line)
		}
		pkg, imports, deps := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		for _, d := range deps {
			if strings.HasPrefix(d, mod+"actors") || strings.HasPrefix(d, mod+"media") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
		for _, i := range imports {
			if strings.HasPrefix(i, "github.com/hashicorp/memberlist") && pkg != mod+"cluster/membership" {
				t.Errorf("%s imports memberlist; only cluster/membership may", pkg)
			}
		}
	}
}
