package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigil-monitor/vigil/media/synth"
)

// Version changes whenever the generator makes different clips from the same
// definitions; it is part of every cache key.
const Version = "corpus-1"

// Generator makes corpus clips into a cache directory.
type Generator struct {
	// Dir is the cache directory; clips and truth files are named after a hash of
	// their definition, the generator Version and the ffmpeg version.
	Dir string
	// Parallel is the number of clips made at once (default 2).
	Parallel int
	// FFmpeg is the ffmpeg binary (default "ffmpeg").
	FFmpeg string
	// Log receives one line per clip made or reused (may be nil).
	Log io.Writer
}

// Generate makes every entry that is not already in the cache and returns the items
// in the order of entries.
func (g *Generator) Generate(ctx context.Context, entries []Entry) ([]Item, error) {
	ff := g.FFmpeg
	if ff == "" {
		ff = "ffmpeg"
	}
	tool, err := ffmpegVersion(ctx, ff)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache dir: %w", err)
	}
	// Keep the cache out of git without touching the repository's ignore file.
	_ = os.WriteFile(filepath.Join(g.Dir, ".gitignore"), []byte("*\n"), 0o644)
	seen := map[string]bool{}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return nil, err
		}
		if seen[e.Name()] {
			return nil, fmt.Errorf("%w: duplicate name %q", ErrClip, e.Name())
		}
		seen[e.Name()] = true
	}
	par := g.Parallel
	if par < 1 {
		par = 2
	}
	items := make([]Item, len(entries))
	errs := make([]error, len(entries))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var logMu sync.Mutex
	for i, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			began := time.Now()
			it, made, err := g.one(ctx, ff, tool, e)
			items[i], errs[i] = it, err
			if g.Log != nil && err == nil {
				logMu.Lock()
				verb := "cached"
				if made {
					verb = fmt.Sprintf("made in %.1fs", time.Since(began).Seconds())
				}
				fmt.Fprintf(g.Log, "corpus: %-40s %s\n", e.Name(), verb)
				logMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return items, nil
}

// key hashes everything that shapes a clip. media/synth clips depend on vigil's own
// code as well: bump Version when media/synth changes what it makes.
func key(e Entry, tool string) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode entry: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", Version, tool)
	h.Write(b)
	if e.FF != nil {
		// The exact commands, so that any change to how clips are made remakes them.
		fmt.Fprintln(h, strings.Join(e.FF.encodeArgs("out"), " "))
		if im, ok := e.FF.damage(); ok {
			fmt.Fprintln(h, strings.Join(e.FF.damageArgs(im, "in", "out"), " "))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// one makes (or finds in the cache) one clip.
func (g *Generator) one(ctx context.Context, ff, tool string, e Entry) (Item, bool, error) {
	k, err := key(e, tool)
	if err != nil {
		return Item{}, false, err
	}
	ext := ".ts"
	if e.FF != nil {
		ext = e.FF.Ext()
	} else if x, ok := extensions[e.Synth.Spec.Format]; ok {
		ext = x
	}
	base := filepath.Join(g.Dir, e.Name()+"-"+k)
	clip, truthPath := base+ext, base+".truth.json"
	if it, err := ReadItem(truthPath); err == nil && !needsDamage(e, it) {
		if _, err := os.Stat(clip); err == nil {
			it = itemFor(e, it.Damage)
			it.Path = clip
			return it, false, nil
		}
	}
	var d *Damage
	if e.FF != nil {
		d, err = g.makeFF(ctx, ff, *e.FF, clip)
	} else {
		err = makeSynth(ctx, *e.Synth, clip)
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("make %s: %w", e.Name(), err)
	}
	it := itemFor(e, d)
	it.Path = clip
	if err := writeItem(truthPath, it); err != nil {
		return Item{}, false, err
	}
	return it, true, nil
}

// needsDamage reports whether a cached item lacks the damage measurement its clip
// needs.
func needsDamage(e Entry, it Item) bool {
	if e.FF == nil || (it.Damage != nil && it.Damage.Method == damageMethod) {
		return false
	}
	_, ok := e.FF.damage()
	return ok
}

// makeFF encodes an ffmpeg clip to path and, for a clip with bitstream damage,
// measures the damage.
func (g *Generator) makeFF(ctx context.Context, ff string, c Clip, path string) (*Damage, error) {
	tmp := path + ".tmp" + c.Ext()
	defer os.Remove(tmp)
	if err := runTool(ctx, ff, c.encodeArgs(tmp)...); err != nil {
		return nil, err
	}
	var d *Damage
	if im, ok := c.damage(); ok {
		damaged := path + ".damaged" + c.Ext()
		defer os.Remove(damaged)
		if err := runTool(ctx, ff, c.damageArgs(im, tmp, damaged)...); err != nil {
			return nil, err
		}
		// The truth of bitstream damage is measured, not assumed: the frames that
		// decode differently from the clean clip (B-frames before the window that
		// refer to damaged frames included, up to the next key frame).
		start, end, ok, err := damagedWindow(ctx, ff, tmp, damaged, c.FPS)
		if err != nil {
			return nil, err
		}
		d = &Damage{Method: damageMethod, Visible: ok, Start: start, End: end}
		if err := os.Rename(damaged, tmp); err != nil {
			return nil, fmt.Errorf("rename clip: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("rename clip: %w", err)
	}
	return d, nil
}

// replaceDamage sets the window of the damage truth to the measured one, or drops it
// when no picture changed.
func replaceDamage(ts []Truth, im Impairment, d Damage) []Truth {
	out := ts[:0:0]
	for _, t := range ts {
		if t.Cause == string(im.Kind) && t.Type == "decode_error" {
			if !d.Visible {
				continue
			}
			t.Start, t.End = d.Start, d.End
		}
		out = append(out, t)
	}
	return out
}

// makeSynth writes a media/synth clip to path.
func makeSynth(ctx context.Context, s SynthClip, path string) error {
	tmp := path + ".tmp"
	defer os.Remove(tmp)
	if _, err := synth.WriteFile(ctx, tmp, s.Spec); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename clip: %w", err)
	}
	return nil
}

// runTool runs a tool, returning its stderr in the error when it fails.
func runTool(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return nil
}

// ffmpegVersion returns the first line of `ffmpeg -version`.
func ffmpegVersion(ctx context.Context, ff string) (string, error) {
	out, err := exec.CommandContext(ctx, ff, "-version").Output()
	if err != nil {
		return "", fmt.Errorf("ffmpeg -version: %w", err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line), nil
}
