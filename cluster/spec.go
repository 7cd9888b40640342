package cluster

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Sentinel errors of the Node API. The admin server maps them to gRPC codes:
// ErrInvalid → InvalidArgument, ErrNotFound → NotFound, ErrExists → AlreadyExists,
// ErrNotReady → Unavailable.
var (
	ErrInvalid  = errors.New("cluster: invalid argument")
	ErrNotFound = errors.New("cluster: not found")
	ErrExists   = errors.New("cluster: already exists with a different spec")
	ErrNotReady = errors.New("cluster: not joined yet")
	ErrClosed   = errors.New("cluster: node closed")
)

// Limits on a spec, so that a table row always fits one gossip packet.
const (
	MaxIDLen     = 128
	MaxURLLen    = 1024
	MaxMapKeys   = 32
	MaxKeyLen    = 64
	MaxLabelLen  = 128
	maxEntrySize = 1100 // encoded row; see membership.MaxBroadcastSize
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidateID checks a stream id: 1–128 characters of [A-Za-z0-9._-], starting with
// a letter or digit.
func ValidateID(id string) error {
	if len(id) == 0 || len(id) > MaxIDLen || !idPattern.MatchString(id) {
		return fmt.Errorf("%w: stream id %q: want 1-%d characters of [A-Za-z0-9._-] starting with a letter or digit", ErrInvalid, id, MaxIDLen)
	}
	return nil
}

// URLPolicy says which inputs may be assigned.
type URLPolicy struct {
	// Schemes lists the allowed URL schemes.
	Schemes []string
	// AllowFile allows file: URLs and bare paths (off by default: any node would
	// open any file it can read).
	AllowFile bool
}

// DefaultURLPolicy allows network inputs only.
func DefaultURLPolicy() URLPolicy {
	return URLPolicy{Schemes: []string{"http", "https", "rtmp", "rtmps", "rtsp", "rtsps", "srt", "udp", "rtp", "tcp", "hls"}}
}

// unsafeSchemes are FFmpeg protocols that reach into files or other protocols in
// ways an operator did not mean to expose, whatever the policy says.
var unsafeSchemes = map[string]bool{"concat": true, "concatf": true, "subfile": true, "pipe": true, "data": true,
	"fd": true, "cache": true, "crypto": true, "async": true, "tee": true, "gopher": true, "ffrtmpcrypt": true}

// ValidateURL checks u against the policy.
func (p URLPolicy) ValidateURL(u string) error {
	if u == "" || len(u) > MaxURLLen || !utf8.ValidString(u) || strings.ContainsAny(u, "\x00\n\r") {
		return fmt.Errorf("%w: url: want 1-%d bytes of UTF-8 without control characters", ErrInvalid, MaxURLLen)
	}
	scheme := ""
	if i := strings.Index(u, ":"); i > 0 {
		scheme = strings.ToLower(u[:i])
	}
	// FFmpeg also accepts "proto1+proto2:" chains (e.g. "cache+http:"); judge each.
	for _, s := range strings.Split(scheme, "+") {
		if unsafeSchemes[s] {
			return fmt.Errorf("%w: url scheme %q is not allowed", ErrInvalid, s)
		}
	}
	if scheme == "" || scheme == "file" || strings.HasPrefix(u, "/") || (len(scheme) == 1 && len(u) > 2 && (u[2] == '\\' || u[2] == '/')) {
		if p.AllowFile {
			return nil
		}
		return fmt.Errorf("%w: file inputs are not allowed (url %q)", ErrInvalid, u)
	}
	allowed := false
	for _, s := range p.Schemes {
		if s == scheme {
			allowed = true
		}
	}
	if !allowed {
		return fmt.Errorf("%w: url scheme %q is not supported", ErrInvalid, scheme)
	}
	if _, err := url.Parse(u); err != nil {
		return fmt.Errorf("%w: url: %w", ErrInvalid, err)
	}
	return nil
}

// ValidateSpec checks a whole spec: id, url, threshold and label sizes.
func (p URLPolicy) ValidateSpec(s StreamSpec) error {
	if err := ValidateID(s.ID); err != nil {
		return err
	}
	if err := p.ValidateURL(s.URL); err != nil {
		return err
	}
	if len(s.Thresholds) > MaxMapKeys || len(s.Labels) > MaxMapKeys {
		return fmt.Errorf("%w: at most %d thresholds and %d labels", ErrInvalid, MaxMapKeys, MaxMapKeys)
	}
	for k, v := range s.Thresholds {
		if k == "" || len(k) > MaxKeyLen || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: threshold %q=%v", ErrInvalid, k, v)
		}
	}
	for k, v := range s.Labels {
		if k == "" || len(k) > MaxKeyLen || len(v) > MaxLabelLen || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: label %q: keys 1-%d bytes, values up to %d", ErrInvalid, k, MaxKeyLen, MaxLabelLen)
		}
	}
	return nil
}
