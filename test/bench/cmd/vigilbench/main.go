// Command vigilbench measures vigil against FFmpeg and writes the results to
// docs/results.md. Subcommands:
//
//	vigilbench corpus   [flags]   make (or reuse) the accuracy corpus and list it
//	vigilbench accuracy [flags]   score vigil and FFmpeg's filters on the corpus
//	vigilbench cpu      [flags]   CPU time of vigil scan vs ffmpeg decode-only vs ffmpeg filters
//	vigilbench streams  [flags]   live 720p30 streams one agent sustains, RSS, allocations
//
// Each writes its section of the results file (-out) and leaves the others alone.
// Run `vigilbench <subcommand> -h` for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vigilbench:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" {
		usage(stderr)
		return errUsage
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "vigilbench: unknown command %q\n", args[0])
		usage(stderr)
		return errUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: vigilbench <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vigilbench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// reproduce returns the sentence that tells how to regenerate a results section.
func reproduce(cmd, flagVar string, args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellWord(a)
	}
	flags := strings.Join(quoted, " ")
	target := "make bench-" + cmd
	if flags != "" {
		target += fmt.Sprintf(" %s='%s'", flagVar, flags)
	}
	return fmt.Sprintf("\nReproduce: `%s` (runs `bin/vigilbench %s`).\n\n", target, strings.TrimSpace(cmd+" "+flags))
}

// shellWord returns a as one shell word inside the single quotes of reproduce's make
// variable: as it is when it needs no quoting, else in double quotes.
func shellWord(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\"'$`\\*?[]{}()<>|&;#~") {
		return a
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
	return `"` + r.Replace(a) + `"`
}
