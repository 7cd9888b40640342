package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		initial []byte // nil: no file before
		data    []byte
	}{
		{"new file", nil, []byte("hello")},
		{"replace", []byte("old content that is longer"), []byte("new")},
		{"empty", []byte("x"), []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if tc.initial != nil {
				if err := os.WriteFile(path, tc.initial, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(path, tc.data, 0o640); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != string(tc.data) {
				t.Fatalf("read back %q, %v; want %q", got, err, tc.data)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("directory holds %d files, want 1 (temp file left behind?)", len(entries))
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Fatalf("mode %v, want 0640", fi.Mode().Perm())
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		if err := Write(filepath.Join(t.TempDir(), "no", "f"), []byte("x"), 0o600); err == nil {
			t.Fatal("Write into a missing directory succeeded")
		}
	})
}
