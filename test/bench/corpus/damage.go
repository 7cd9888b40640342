package corpus

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// frameHashes decodes the video of path and returns the MD5 of every decoded picture
// by time stamp (in the output time base), and that time base in seconds.
func frameHashes(ctx context.Context, ff, path string) (map[int64]string, float64, error) {
	cmd := exec.CommandContext(ctx, ff, "-nostdin", "-hide_banner", "-v", "quiet", "-i", path,
		"-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "-")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, fmt.Errorf("framemd5: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("framemd5: %w", err)
	}
	hashes, tb, perr := parseFrameMD5(out)
	werr := cmd.Wait()
	if perr != nil {
		return nil, 0, perr
	}
	if werr != nil {
		return nil, 0, fmt.Errorf("framemd5 %s: %w", path, werr)
	}
	return hashes, tb, nil
}

// parseFrameMD5 reads ffmpeg's framemd5 output.
func parseFrameMD5(r io.Reader) (map[int64]string, float64, error) {
	hashes := map[int64]string{}
	tb := 0.0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "#tb 0:"); ok {
			num, den, ok := strings.Cut(strings.TrimSpace(rest), "/")
			n, err1 := strconv.ParseFloat(num, 64)
			d, err2 := strconv.ParseFloat(den, 64)
			if !ok || err1 != nil || err2 != nil || d == 0 {
				return nil, 0, fmt.Errorf("framemd5: bad time base %q", rest)
			}
			tb = n / d
			continue
		}
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 6 {
			return nil, 0, fmt.Errorf("framemd5: bad line %q", line)
		}
		pts, err := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("framemd5: bad pts in %q", line)
		}
		hashes[pts] = strings.TrimSpace(f[5])
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("framemd5: %w", err)
	}
	if tb == 0 {
		return nil, 0, fmt.Errorf("framemd5: no time base")
	}
	return hashes, tb, nil
}

// damageMethod names the way damagedWindow measures.
const damageMethod = "framemd5, pictures matched within 2 frames"

// damagedWindow decodes a clean clip and its damaged copy and returns the media time
// of the first picture of the clean clip that the damaged one does not show (intact)
// and the end of the last one, in seconds from the first picture of the clean clip.
// A picture counts as shown when the damaged decode has it within two frames of its
// time: after lost packets a decoder may shift later time stamps by a frame, which
// no viewer sees. ok is false when every picture is shown.
func damagedWindow(ctx context.Context, ff, clean, damaged string, fps int) (start, end float64, ok bool, err error) {
	want, tb, err := frameHashes(ctx, ff, clean)
	if err != nil {
		return 0, 0, false, err
	}
	got, tb2, err := frameHashes(ctx, ff, damaged)
	if err != nil {
		return 0, 0, false, err
	}
	if tb != tb2 {
		return 0, 0, false, fmt.Errorf("damaged clip has time base %v, clean %v", tb2, tb)
	}
	at := map[string][]int64{}
	for pts, h := range got {
		at[h] = append(at[h], pts)
	}
	slack := int64(math.Ceil(2 / float64(fps) / tb))
	shown := func(pts int64, h string) bool {
		for _, p := range at[h] {
			if p >= pts-slack && p <= pts+slack {
				return true
			}
		}
		return false
	}
	first := int64(math.MaxInt64)
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for pts, h := range want {
		first = min(first, pts)
		if !shown(pts, h) {
			lo, hi = min(lo, pts), max(hi, pts)
		}
	}
	if lo > hi {
		return 0, 0, false, nil
	}
	frame := 1 / float64(fps)
	return float64(lo-first) * tb, float64(hi-first)*tb + frame, true, nil
}
