//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Network faults are iptables rules in a node's own network namespace, entered from
// the host with nsenter (the image has no iptables, and needs none). The kernel here
// has no netem qdisc, so packets can be dropped (all from some addresses: a
// partition; a random share: loss) but not delayed.
//
// The rules live in a chain of their own, jumped to first from INPUT: clearing the
// fault flushes that chain and touches nothing Docker set up (its embedded DNS uses
// the nat table). A container that restarts gets a fresh namespace without them.

const chaosChain = "VIGIL-CHAOS"

// nsIptables runs iptables in the network namespace of process pid.
func nsIptables(pid int, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"-t", strconv.Itoa(pid), "-n", "iptables", "-w", "5"}, args...)
	_, err := run(ctx, os.Environ(), "nsenter", full...)
	return err
}

// ensureChain creates the chain and its jump from INPUT, once.
func ensureChain(pid int) error {
	if err := nsIptables(pid, "-N", chaosChain); err != nil && !strings.Contains(err.Error(), "exists") {
		return fmt.Errorf("create chain: %w", err)
	}
	if nsIptables(pid, "-C", "INPUT", "-j", chaosChain) == nil {
		return nil
	}
	if err := nsIptables(pid, "-I", "INPUT", "1", "-j", chaosChain); err != nil {
		return fmt.Errorf("jump to chain: %w", err)
	}
	return nil
}

// dropFrom makes the node (process pid) drop every packet from the given addresses.
func dropFrom(pid int, ips []string) error {
	if err := ensureChain(pid); err != nil {
		return err
	}
	for _, ip := range ips {
		if err := nsIptables(pid, "-A", chaosChain, "-s", ip, "-j", "DROP"); err != nil {
			return fmt.Errorf("drop from %s: %w", ip, err)
		}
	}
	return nil
}

// lose makes the node drop a random share p of the packets it receives, except
// from the addresses in spare (the suite's own observer traffic from the host: the
// measurement should not be what the fault disturbs).
func lose(pid int, p float64, spare []string) error {
	if err := ensureChain(pid); err != nil {
		return err
	}
	for _, ip := range spare {
		if err := nsIptables(pid, "-A", chaosChain, "-s", ip, "-j", "RETURN"); err != nil {
			return fmt.Errorf("spare %s: %w", ip, err)
		}
	}
	err := nsIptables(pid, "-A", chaosChain, "-m", "statistic", "--mode", "random",
		"--probability", strconv.FormatFloat(p, 'f', 4, 64), "-j", "DROP")
	if err != nil {
		return fmt.Errorf("random drop: %w", err)
	}
	return nil
}

// heal removes every network fault from the node.
func heal(pid int) error {
	if nsIptables(pid, "-L", chaosChain, "-n") != nil {
		return nil // never faulted (or a fresh namespace)
	}
	if err := nsIptables(pid, "-F", chaosChain); err != nil {
		return fmt.Errorf("flush chain: %w", err)
	}
	return nil
}
