package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

func init() {
	commands["members"] = command{
		summary: "list the cluster's nodes",
		run:     runMembers,
	}
	commands["drain"] = command{
		summary: "move every stream off a node (make-before-break), or --undo",
		run:     runDrain,
	}
}

func runMembers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	conn, _, err := clientCommand("members", "[flags]", 0, args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := conn.call(ctx)
	defer cancel()
	resp, err := conn.client.ListMembers(cctx, &vigilv1.ListMembersRequest{})
	if err != nil {
		return conn.explain("members", err)
	}
	if conn.flags.json {
		out := make([]memberJSON, 0, len(resp.GetMembers()))
		for _, m := range resp.GetMembers() {
			out = append(out, memberRecord(m))
		}
		return writeJSON(stdout, out)
	}
	return writeMemberTable(stdout, resp.GetMembers(), time.Now())
}

const drainUsage = `NODE [--undo] [--wait D] [flags]

Drains NODE: placement gives it no stream, and every stream it runs moves to
another node make-before-break (the new owner decodes before NODE stops). The node
stays drained until 'vigil drain NODE --undo' or its restart. With --wait, waits up
to D until NODE runs no stream.`

func runDrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var undo bool
	var wait time.Duration
	conn, pos, err := clientCommand("drain", drainUsage, 1, args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&undo, "undo", false, "lift the drain: the node takes streams again")
		fs.DurationVar(&wait, "wait", 0, "wait up to this long until the node runs no stream (0: don't wait)")
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	node := pos[0]
	cctx, cancel := conn.call(ctx)
	defer cancel()
	if _, err := conn.client.DrainNode(cctx, &vigilv1.DrainNodeRequest{Node: node, Undrain: undo}); err != nil {
		return conn.explain("drain", err)
	}
	streams := -1
	if wait > 0 && !undo {
		if streams, err = waitDrained(ctx, conn, node, wait); err != nil {
			return err
		}
	}
	if conn.flags.json {
		r := map[string]any{"node": node, "draining": !undo}
		if streams >= 0 {
			r["streams"] = streams
		}
		return writeJSON(stdout, r)
	}
	switch {
	case undo:
		fmt.Fprintf(stdout, "%s: drain lifted; it takes streams again\n", node)
	case streams == 0:
		fmt.Fprintf(stdout, "%s: drained; it runs no stream\n", node)
	default:
		fmt.Fprintf(stdout, "%s: draining; its streams move to other nodes make-before-break\n", node)
	}
	return nil
}

// waitDrained polls until no stream of the cluster is placed on or run by node,
// and returns how many it still has (0) or an error after wait.
func waitDrained(ctx context.Context, conn *adminConn, node string, wait time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	left := -1
	for {
		cctx, ccancel := conn.call(ctx)
		resp, err := conn.client.ListStreams(cctx, &vigilv1.ListStreamsRequest{})
		ccancel()
		if err == nil {
			left = 0
			for _, s := range resp.GetStreams() {
				if s.GetOwner() == node || slices.Contains(s.GetRunners(), node) {
					left++
				}
			}
			if left == 0 {
				return 0, nil
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return left, fmt.Errorf("drain: %s still runs %d stream(s) after %v", node, left, wait)
			}
			return left, ctx.Err()
		case <-tick.C:
		}
	}
}
