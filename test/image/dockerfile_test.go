package image

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined and runs of
// blanks collapsed.
type instruction struct {
	keyword string // upper case
	args    string
}

// parseDockerfile returns the instructions of the last stage of a Dockerfile.
func parseDockerfile(tb testing.TB, path string) []instruction {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		more := strings.HasSuffix(line, `\`)
		cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
		if more {
			continue
		}
		fields := strings.Fields(cur.String())
		cur.Reset()
		in := instruction{keyword: strings.ToUpper(fields[0]), args: strings.Join(fields[1:], " ")}
		if in.keyword == "FROM" {
			out = out[:0]
		}
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if cur.Len() > 0 {
		tb.Fatalf("%s: ends inside a continued line", path)
	}
	return out
}

// runtimeSettings are the instructions of the last stage that shape how the image runs,
// leaving out the PATH (the Debian image has more on it than vigil).
func runtimeSettings(ins []instruction) []instruction {
	keep := []string{"ENV", "USER", "WORKDIR", "VOLUME", "EXPOSE", "HEALTHCHECK", "CMD", "ENTRYPOINT", "STOPSIGNAL"}
	var out []instruction
	for _, in := range ins {
		if !slices.Contains(keep, in.keyword) || in.keyword == "ENV" && strings.HasPrefix(in.args, "PATH=") {
			continue
		}
		out = append(out, in)
	}
	return out
}

// TestDockerfilesAgree checks that the image built offline and the one built from
// Debian packages run the same way.
func TestDockerfilesAgree(t *testing.T) {
	offline := runtimeSettings(parseDockerfile(t, filepath.Join("..", "..", "deploy", "Dockerfile.offline")))
	debian := runtimeSettings(parseDockerfile(t, filepath.Join("..", "..", "deploy", "Dockerfile")))
	if !slices.Equal(offline, debian) {
		t.Errorf("runtime settings differ:\nDockerfile.offline: %q\nDockerfile:         %q", offline, debian)
	}
	for _, tc := range []struct {
		name string
		want instruction
	}{
		{"non-root user", instruction{"USER", "10001:10001"}},
		{"ports", instruction{"EXPOSE", "7946/tcp 7946/udp 7070/tcp 8080/tcp"}},
		{"data volume", instruction{"VOLUME", `["/var/lib/vigil"]`}},
		{"agent by default", instruction{"CMD", `["vigil", "agent"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Contains(offline, tc.want) {
				t.Errorf("no %s %s in %q", tc.want.keyword, tc.want.args, offline)
			}
		})
	}
	t.Run("health check runs vigil health", func(t *testing.T) {
		for _, in := range offline {
			if in.keyword == "HEALTHCHECK" && strings.HasSuffix(in.args, `CMD ["/usr/local/bin/vigil", "health"]`) {
				return
			}
		}
		t.Errorf("no HEALTHCHECK running vigil health in %q", offline)
	})
}

// TestDockerfileLinksAsMakeBuild checks that the registry Dockerfile links bin/vigil
// with the same flags as `make build` (the Makefile's VIGIL_CGO_LDFLAGS): a link
// without them loads 330 shared libraries instead of 148 and needs the runtime
// packages the Dockerfile no longer installs.
func TestDockerfileLinksAsMakeBuild(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var flags string
	for _, l := range strings.Split(string(mk), "\n") {
		if v, ok := strings.CutPrefix(l, "VIGIL_CGO_LDFLAGS ?="); ok {
			flags = strings.TrimSpace(v)
		}
	}
	if flags == "" {
		t.Fatal("Makefile: no VIGIL_CGO_LDFLAGS ?= line")
	}
	df, err := os.ReadFile(filepath.Join("..", "..", "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "CGO_LDFLAGS='" + flags + "'"; !strings.Contains(string(df), want) {
		t.Errorf("deploy/Dockerfile does not link with %s (the Makefile's VIGIL_CGO_LDFLAGS)", want)
	}
}
