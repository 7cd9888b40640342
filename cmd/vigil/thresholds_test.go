package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
)

// TestThresholdsListsEveryKeyWithItsDefault checks that vigil thresholds --json lists
// every key scan accepts, once, with a default inside its range that Set takes back,
// and that the table form has a row per key.
func TestThresholdsListsEveryKeyWithItsDefault(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"thresholds", "--json"}, &out, &errOut); err != nil {
		t.Fatalf("thresholds --json: %v (%s)", err, errOut.String())
	}
	cfg := detect.DefaultConfig()
	seen := map[string]bool{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var th thresholdJSON
		if err := json.Unmarshal(sc.Bytes(), &th); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if seen[th.Key] {
			t.Errorf("%s listed twice", th.Key)
		}
		seen[th.Key] = true
		if th.Default < th.Min || th.Default > th.Max {
			t.Errorf("%s: default %g outside its range %g – %g", th.Key, th.Default, th.Min, th.Max)
		}
		c := detect.DefaultConfig()
		if err := c.Set(th.Key, th.Default); err != nil {
			t.Errorf("%s: Set(default %g): %v", th.Key, th.Default, err)
		}
	}
	for _, k := range cfg.Keys() {
		if !seen[k] {
			t.Errorf("%s not listed", k)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"thresholds"}, &out, &errOut); err != nil {
		t.Fatalf("thresholds: %v", err)
	}
	if rows := strings.Count(out.String(), "\n") - 1; rows != len(cfg.Keys()) {
		t.Errorf("table has %d rows, want %d:\n%s", rows, len(cfg.Keys()), out.String())
	}
	if err := run(context.Background(), []string{"thresholds", "extra"}, &out, &errOut); err == nil {
		t.Error("an extra argument was accepted")
	}
}
