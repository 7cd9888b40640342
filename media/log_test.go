package media

import (
	"log/slog"
	"testing"
)

// TestFFmpegLogLevel: the package hook filters FFmpeg's messages by level, and decoder
// errors are counted even when nothing is logged.
func TestFFmpegLogLevel(t *testing.T) {
	defer SetFFmpegLog(nil, slog.LevelWarn)
	damaged := clip(t, "damaged.ts", "-i", clipTS(t), "-c", "copy",
		"-bsf:v", "noise=amount='if(between(pts*tb,1.2,1.5),200,0)'")
	cases := []struct {
		name        string
		level       slog.Level
		wantDebug   bool
		wantErrLogs bool
	}{
		{"debug", slog.LevelDebug, true, true},
		{"error", slog.LevelError, false, true},
		{"silent", slog.LevelError + 4, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := &captureHandler{}
			SetFFmpegLog(slog.New(logs), tc.level)
			_, st, _ := decodeFile(t, damaged, ScanConfig())
			if st.DecodeErrors == 0 {
				t.Fatalf("decode errors not counted at log level %v", tc.level)
			}
			if got := logs.count(slog.LevelDebug) > 0; got != tc.wantDebug {
				t.Errorf("debug messages logged: %t, want %t", got, tc.wantDebug)
			}
			if got := logs.count(slog.LevelError) > 0; got != tc.wantErrLogs {
				t.Errorf("error messages logged: %t, want %t", got, tc.wantErrLogs)
			}
			for _, r := range logs.records {
				if r.Level < tc.level {
					t.Fatalf("%v message %q logged at level %v", r.Level, r.Message, tc.level)
				}
			}
		})
	}
}
