package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-monitor/vigil/test/bench/corpus"
)

func init() {
	commands["corpus"] = command{summary: "make (or reuse) the accuracy corpus and list its clips", run: runCorpus}
}

// corpusFlags are the flags every corpus-using command shares.
type corpusFlags struct {
	big      bool
	cache    string
	parallel int
	only     string
}

func (c *corpusFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.big, "big", false, "use the big corpus (a matrix of every impairment over every source; slow the first time)")
	fs.StringVar(&c.cache, "cache", ".cache/bench/corpus", "directory where generated clips are cached")
	fs.IntVar(&c.parallel, "parallel", 2, "clips generated at once")
	fs.StringVar(&c.only, "only", "", "only clips whose name contains this string")
}

func (c *corpusFlags) entries() []corpus.Entry {
	es := corpus.Default()
	if c.big {
		es = corpus.Big()
	}
	if c.only == "" {
		return es
	}
	var out []corpus.Entry
	for _, e := range es {
		if strings.Contains(e.Name(), c.only) {
			out = append(out, e)
		}
	}
	return out
}

func (c *corpusFlags) generate(ctx context.Context, log io.Writer) ([]corpus.Item, error) {
	g := &corpus.Generator{Dir: c.cache, Parallel: c.parallel, Log: log}
	return g.Generate(ctx, c.entries())
}

func runCorpus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("corpus", stderr)
	var cf corpusFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	items, err := cf.generate(ctx, stderr)
	if err != nil {
		return err
	}
	for _, it := range items {
		var ts []string
		for _, t := range it.Truths {
			opt := ""
			if t.Optional {
				opt = "?"
			}
			ts = append(ts, fmt.Sprintf("%s%s[%.2f,%.2f]", t.Type, opt, t.Start, t.End))
		}
		fmt.Fprintf(stdout, "%s\t%s\n", it.Path, strings.Join(ts, " "))
	}
	return nil
}
