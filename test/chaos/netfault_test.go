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

// Network faults are iptables rules and tc qdiscs in a node's own network namespace,
// entered from the host with nsenter (the image has neither tool, and needs none).
// Loss with delay needs the netem qdisc, which some kernels lack (this machine's has
// no CONFIG_NET_SCH_NETEM): the suite tries netem once and otherwise drops a random
// share of packets with iptables' statistic match, without delay.
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
	if err := nsTc(pid, "qdisc", "show", "dev", "eth0"); err == nil {
		if out, _ := nsTcOutput(pid, "qdisc", "show", "dev", "eth0"); strings.Contains(out, "netem") {
			if err := nsTc(pid, "qdisc", "del", "dev", "eth0", "root"); err != nil {
				return fmt.Errorf("remove netem: %w", err)
			}
		}
	}
	if nsIptables(pid, "-L", chaosChain, "-n") != nil {
		return nil // never faulted (or a fresh namespace)
	}
	if err := nsIptables(pid, "-F", chaosChain); err != nil {
		return fmt.Errorf("flush chain: %w", err)
	}
	return nil
}

// netemDelay and netemJitter are the lossy scenario's delay where netem exists.
const (
	netemDelay  = 100 * time.Millisecond
	netemJitter = 30 * time.Millisecond
)

// netem makes the node (process pid) lose a share p of the packets it sends and delay
// the others by netemDelay±netemJitter, with tc's netem qdisc on its interface. It
// fails where the kernel has no netem (or the host no tc).
func netem(pid int, p float64) error {
	err := nsTc(pid, "qdisc", "replace", "dev", "eth0", "root", "netem",
		"loss", strconv.FormatFloat(p*100, 'f', 2, 64)+"%",
		"delay", fmt.Sprintf("%dms", netemDelay.Milliseconds()), fmt.Sprintf("%dms", netemJitter.Milliseconds()))
	if err != nil {
		return fmt.Errorf("netem: %w", err)
	}
	return nil
}

// nsTc runs tc in the network namespace of process pid.
func nsTc(pid int, args ...string) error {
	_, err := nsTcOutput(pid, args...)
	return err
}

func nsTcOutput(pid int, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"-t", strconv.Itoa(pid), "-n", "tc"}, args...)
	return run(ctx, os.Environ(), "nsenter", full...)
}
