package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "results.md")
	steps := []struct {
		id, body string
		want     []string // section bodies in file order
	}{
		{"streams", "## Streams\nN=3\n", []string{"## Streams\nN=3\n"}},
		{"accuracy", "## Accuracy\nold\n", []string{"## Accuracy\nold\n", "## Streams\nN=3\n"}},
		{"extra", "## Extra\n", []string{"## Accuracy\nold\n", "## Streams\nN=3\n", "## Extra\n"}},
		{"accuracy", "## Accuracy\nnew\n\n", []string{"## Accuracy\nnew\n", "## Streams\nN=3\n", "## Extra\n"}},
	}
	for _, st := range steps {
		t.Run(st.id, func(t *testing.T) {
			if err := Update(path, st.id, st.body); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if !strings.HasPrefix(s, "# Results\n") {
				t.Errorf("no header:\n%s", s)
			}
			last := -1
			for _, w := range st.want {
				i := strings.Index(s, w)
				if i < 0 || i < last {
					t.Fatalf("want %q after offset %d in:\n%s", w, last, s)
				}
				last = i
			}
			if strings.Count(s, "<!-- begin") != len(st.want) {
				t.Errorf("%d sections, want %d:\n%s", strings.Count(s, "<!-- begin"), len(st.want), s)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	m := Describe(context.Background(), time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC))
	if m.CPU == "" || m.Cores < 1 || m.MemGB <= 0 || m.Load == "" || m.FFmpeg == "" {
		t.Errorf("incomplete description %+v", m)
	}
	if md := m.Markdown(); !strings.Contains(md, "2026-01-02 03:04 UTC") || !strings.Contains(md, m.CPU) {
		t.Errorf("markdown %q", md)
	}
}
