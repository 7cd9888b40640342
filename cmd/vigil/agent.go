package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-monitor/vigil/actors"
	"github.com/vigil-monitor/vigil/cluster"
	"github.com/vigil-monitor/vigil/cluster/admin"
)

func init() {
	commands["agent"] = command{
		summary: "run a cluster node that monitors its share of the streams",
		run:     runAgent,
	}
}

// runAgent wires one node: the actor tree (which decodes and analyses) behind the
// cluster node (membership, table, placement) through actorRunner, the admin gRPC
// server, the HTTP health and metrics server, and the event printer.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, log, err := parseAgentFlags(args, stderr)
	if err != nil {
		return err
	}
	specs, err := parseStreams(f.streams, f.thresholds)
	if err != nil {
		return err
	}

	acfg := actors.DefaultConfig()
	acfg.Name = f.name
	acfg.Logger = log
	acfg.Media.AllowFile = f.allowFile
	acfg.Media.Loop = true
	acfg.Media.AnalyzeDuration = f.analyze
	acfg.Media.NoSignalTimeout, acfg.Media.ReadTimeout = f.noSignal, f.noSignal
	anode, err := actors.NewNode(acfg)
	if err != nil {
		return err
	}
	defer anode.Close()
	printed := anode.Subscribe(1024)
	defer printed.Close()
	forwarded := anode.Subscribe(1024)
	defer forwarded.Close()

	grpcLn, err := net.Listen("tcp", f.grpc)
	if err != nil {
		return fmt.Errorf("--grpc: listen: %w", err)
	}
	defer grpcLn.Close()
	ccfg, err := f.clusterConfig(grpcLn.Addr().String(), log)
	if err != nil {
		return err
	}
	validate := specValidator(ccfg.URLPolicy, anode)
	cnode, err := cluster.Open(ccfg, actorRunner{node: anode, log: log})
	if err != nil {
		return err
	}
	defer cnode.Close()
	adm := admin.New(cnode, admin.Config{Logger: log, Validate: validate})

	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fail := make(chan error, 4)
	served := make(chan error, 1)
	go func() { served <- adm.Serve(grpcLn) }()
	var stopping atomic.Bool
	var httpDone chan error // nil when --http is off
	if f.http != "" {
		hs, err := newHTTPServer(f.http, func() error { return agentReady(cnode, &stopping) }, log,
			newStreamCollector(anode), newClusterCollector(cnode))
		if err != nil {
			adm.Stop(runCtx)
			return err
		}
		httpDone = make(chan error, 1)
		go func() { httpDone <- hs.Run(runCtx) }()
		log.Info("serving health and metrics", "addr", "http://"+hs.Addr())
	}
	fwdDone := make(chan struct{})
	go func() {
		defer close(fwdDone)
		forwardEvents(runCtx, forwarded, cnode)
	}()
	printDone := make(chan error, 1)
	go func() { printDone <- printEvents(runCtx, printed, stdout, f.json) }()

	var demo *demoSource
	if f.demo {
		if demo, err = startDemo(defaultDemoConfig(f.demoListen, f.demoChannels, log)); err != nil {
			fail <- err
		} else {
			defer demo.Close()
		}
	}
	go func() {
		err := assignAtStart(runCtx, cnode, validate, specs, demo, f.thresholds, log)
		if err != nil {
			fail <- err
		}
	}()
	log.Info("agent running", "node", f.name, "gossip", cnode.GossipAddr(), "admin", grpcLn.Addr().String(),
		"join", strings.Join(f.join, ","), "data_dir", f.dataDir)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("signal received: draining and leaving the cluster (send another to stop at once)")
	case runErr = <-fail:
		log.Error("agent failed; leaving the cluster", "err", runErr)
	case err := <-served:
		runErr = fmt.Errorf("admin server: %w", err)
	case err := <-httpDone:
		httpDone <- err // for the wait below
		runErr = fmt.Errorf("http server: %w", err)
	}
	stopping.Store(true)
	drainCtx, drainCancel := context.WithTimeout(context.Background(), f.drainTimeout)
	defer drainCancel()
	if runErr == nil {
		stopOnSecondSignal(drainCtx, drainCancel, log)
	}
	if err := leaveCluster(drainCtx, cnode, runErr == nil, log); err != nil {
		runErr = errors.Join(runErr, err)
	}
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer stopCancel()
	adm.Stop(stopCtx)
	if demo != nil {
		if err := demo.Close(); err != nil {
			log.Warn("demo source", "err", err)
		}
	}
	if err := anode.Close(); err != nil {
		log.Warn("stop streams", "err", err)
	}
	cancel()
	<-fwdDone
	if err := <-printDone; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, actors.ErrClosed) {
		runErr = errors.Join(runErr, err)
	}
	if httpDone != nil {
		if err := <-httpDone; err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	log.Info("agent stopped")
	return runErr
}

// agentReady is /readyz: ready once the node has joined and until it stops.
func agentReady(n *cluster.Node, stopping *atomic.Bool) error {
	if stopping.Load() {
		return errors.New("shutting down")
	}
	select {
	case <-n.Ready():
		return nil
	default:
		return errors.New("not joined the cluster yet")
	}
}

// stopOnSecondSignal cancels the drain when another SIGINT or SIGTERM arrives.
func stopOnSecondSignal(ctx context.Context, cancel context.CancelFunc, log *slog.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			log.Warn("second signal: stopping without waiting for hand-offs")
			cancel()
		case <-ctx.Done():
		}
	}()
}
