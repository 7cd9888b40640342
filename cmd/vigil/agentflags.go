package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/media"
)

const agentUsage = `[flags]

Runs a cluster node: it gossips with the nodes given by --join (and any that join
it), serves the admin API on --grpc (vigil streams|members|drain|events talk to it),
runs its share of the cluster's streams and prints their defect events as they
start and end. SIGTERM or SIGINT drains the node (its streams move to other nodes
make-before-break), leaves the cluster and exits 0; a second signal stops at once.

--stream ID=URL assigns streams into the cluster table at start. --demo starts an
in-process live source with synthetic channels that cycle through every defect type
and assigns them (for one machine: the channels are served on 127.0.0.1).`

// defaultAnalyzeDuration caps FFmpeg's stream analysis of a live input, which
// delays its first decoded frame (and so the end of a failover). Measured on this
// project's live source (H.264 + AAC in MPEG-TS, 1 s GOP, 12–18 starts each): start
// to first frame took 1.05–1.93 s with 1 s, 0.64–1.44 s with 500 ms, 0.42–1.08 s
// with 200 ms (the rest is the wait for the next key frame); 200 ms still found
// both streams' parameters, and the agent decoded audio and video.
const defaultAnalyzeDuration = 200 * time.Millisecond

// agentFlags are the agent's command-line settings.
type agentFlags struct {
	name          string
	bind          string
	advertise     string
	grpc          string
	http          string
	join          multiFlag
	dataDir       string
	capacity      uint
	clusterLabel  string
	gossipKeyFile string
	drainTimeout  time.Duration
	forgetAfter   time.Duration
	analyze       time.Duration
	noSignal      time.Duration
	allowFile     bool
	streams       multiFlag
	thresholds    thresholdFlag
	demo          bool
	demoChannels  int
	demoListen    string
	json          bool
}

// parseAgentFlags parses the agent's command line (and VIGIL_… variables) and
// returns the flags and the logger they describe.
func parseAgentFlags(args []string, stderr io.Writer) (agentFlags, *slog.Logger, error) {
	f := agentFlags{thresholds: thresholdFlag{}}
	fs := newFlagSet("agent", agentUsage, stderr)
	host, _ := os.Hostname()
	fs.StringVar(&f.name, "name", host, "node name, unique in the cluster (default: the host name)")
	fs.StringVar(&f.bind, "bind", "0.0.0.0:7946", "gossip address to listen on (TCP and UDP), host:port")
	fs.StringVar(&f.advertise, "advertise", "", "gossip address the other nodes should use, host[:port] (default: the bind address, or a private IP when it is unspecified)")
	fs.StringVar(&f.grpc, "grpc", defaultAdminAddr, "admin gRPC address to listen on, host:port")
	fs.StringVar(&f.http, "http", "127.0.0.1:8080", "serve /healthz, /readyz and /metrics on this address (empty: off)")
	fs.Var(&f.join, "join", "seed nodes' gossip addresses to join, host[:port], comma-separated or repeated (DNS names allowed)")
	fs.StringVar(&f.dataDir, "data-dir", "", "directory that keeps the stream table across restarts (empty: keep nothing)")
	fs.UintVar(&f.capacity, "capacity", 1, "this node's weight in placement; 0 runs no stream")
	fs.StringVar(&f.clusterLabel, "cluster-label", "", "cluster name: nodes with different labels never talk to each other")
	fs.StringVar(&f.gossipKeyFile, "gossip-key-file", "", "file with base64 AES keys (16, 24 or 32 bytes) encrypting gossip, the first one in use; VIGIL_GOSSIP_KEY may hold the keys instead")
	fs.DurationVar(&f.forgetAfter, "forget-after", cluster.DefaultConfig().ForgetAfter, "how long a node that is away (failed, drained, stopped) keeps its place in placement: only its streams move meanwhile, and back when it returns; then the others rebalance")
	fs.DurationVar(&f.drainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, wait at most this long for this node's streams to move before leaving")
	fs.DurationVar(&f.noSignal, "no-signal", media.DefaultConfig().NoSignalTimeout, "a live input that delivers no packet for this long raises no_signal and is reconnected with backoff (also the socket read timeout)")
	fs.DurationVar(&f.analyze, "analyze-duration", defaultAnalyzeDuration, "how much of a live input FFmpeg reads to find its streams before decoding (FFmpeg's analyzeduration); less starts streams, and failovers, faster")
	fs.BoolVar(&f.allowFile, "allow-file", false, "allow local files as stream inputs (paced in real time and looped)")
	fs.Var(&f.streams, "stream", "assign a stream into the cluster at start, ID=URL (repeatable)")
	fs.Var(f.thresholds, "threshold", "detector setting for the --stream and --demo streams, key=value (repeatable)")
	fs.BoolVar(&f.demo, "demo", false, "serve built-in live synthetic channels on loopback and monitor them")
	fs.IntVar(&f.demoChannels, "demo-channels", 3, "number of demo channels")
	fs.StringVar(&f.demoListen, "demo-listen", "127.0.0.1:0", "address of the demo channels' HTTP server (default: a free loopback port)")
	fs.BoolVar(&f.json, "json", false, "print events as JSON Lines")
	logger := logLevelFlag(fs, stderr)
	if err := parseFlags(fs, args); err != nil {
		return f, nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil agent: unexpected argument %q\n", fs.Arg(0))
		return f, nil, errUsage
	}
	log, err := logger()
	if err != nil {
		return f, nil, err
	}
	if f.name == "" {
		return f, nil, errors.New("--name: empty (and no host name to default to)")
	}
	if f.demo && (f.demoChannels < 1 || f.demoChannels > 64) {
		return f, nil, fmt.Errorf("--demo-channels %d: want 1 to 64", f.demoChannels)
	}
	if f.drainTimeout <= 0 {
		return f, nil, fmt.Errorf("--drain-timeout %v: must be positive", f.drainTimeout)
	}
	if f.forgetAfter < time.Second {
		return f, nil, fmt.Errorf("--forget-after %v: want at least 1s", f.forgetAfter)
	}
	if f.noSignal < 500*time.Millisecond {
		return f, nil, fmt.Errorf("--no-signal %v: want at least 500ms", f.noSignal)
	}
	return f, log, nil
}

// clusterConfig builds the cluster node's configuration from the flags; adminAddr
// is where the admin server listens.
func (f agentFlags) clusterConfig(adminAddr string, log *slog.Logger) (cluster.Config, error) {
	cfg := cluster.DefaultConfig()
	cfg.Name = f.name
	cfg.DataDir = f.dataDir
	cfg.Capacity = uint32(f.capacity)
	cfg.ForgetAfter = f.forgetAfter
	cfg.Version = version()
	cfg.Logger = log
	cfg.URLPolicy.AllowFile = f.allowFile
	cfg.Membership.Join = f.join
	ml := cfg.Membership.Memberlist
	ml.Label = f.clusterLabel
	bindHost, bindPort, err := splitHostPort(f.bind, -1)
	if err != nil {
		return cfg, fmt.Errorf("--bind: %w", err)
	}
	ml.BindAddr, ml.BindPort = bindHost, bindPort
	ml.AdvertisePort = bindPort
	if f.advertise != "" {
		host, port, err := splitHostPort(f.advertise, bindPort)
		if err != nil {
			return cfg, fmt.Errorf("--advertise: %w", err)
		}
		ip, err := resolveIP(host)
		if err != nil {
			return cfg, fmt.Errorf("--advertise: %w", err)
		}
		ml.AdvertiseAddr, ml.AdvertisePort = ip, port
	}
	keys, err := gossipKeys(f.gossipKeyFile)
	if err != nil {
		return cfg, err
	}
	if keys != "" {
		kr, err := membership.ParseKeyring(keys)
		if err != nil {
			return cfg, fmt.Errorf("gossip key: %w", err)
		}
		ml.Keyring = kr
	}
	cfg.AdminAddr = f.advertisedAdmin(adminAddr, ml.AdvertiseAddr, bindHost)
	return cfg, nil
}

// gossipKeys returns the keyring text from --gossip-key-file or VIGIL_GOSSIP_KEY.
func gossipKeys(file string) (string, error) {
	env, inEnv := os.LookupEnv("VIGIL_GOSSIP_KEY")
	switch {
	case file != "" && inEnv:
		return "", errors.New("both --gossip-key-file and VIGIL_GOSSIP_KEY are set: give one")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--gossip-key-file: %w", err)
		}
		return string(b), nil
	}
	return env, nil
}

// advertisedAdmin is the admin address told to the other nodes: the listening
// address, with an unspecified host replaced by the advertised or bound gossip
// host, or else the host name.
func (f agentFlags) advertisedAdmin(listen, advertiseIP, bindHost string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return listen
	}
	switch {
	case advertiseIP != "":
		host = advertiseIP
	case bindHost != "" && !net.ParseIP(bindHost).IsUnspecified():
		host = bindHost
	default:
		host, _ = os.Hostname()
	}
	return net.JoinHostPort(host, port)
}

// splitHostPort splits host:port; a missing port takes defPort when it is ≥ 0.
func splitHostPort(addr string, defPort int) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		if defPort < 0 || strings.Contains(addr, ":") && !strings.HasPrefix(addr, "[") {
			return "", 0, fmt.Errorf("%q: want host:port", addr)
		}
		return strings.Trim(addr, "[]"), defPort, nil
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: bad port", addr)
	}
	return host, port, nil
}

// resolveIP returns host if it is an IP address, else its first address by DNS.
func resolveIP(host string) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return host, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", host, err)
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("resolve %q: no address", host)
	}
	return ips[0].String(), nil
}

// version is vigil's version from the build: the module version, or the VCS
// revision of a development build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
