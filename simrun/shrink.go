package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/detsim/detsim/scenarios"
)

// maxShrinkRuns bounds -max-runs: a shrink is runs one after another, and
// this many take hours.
const maxShrinkRuns = 1_000_000

func cmdShrink(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shrink", flag.ContinueOnError)
	maxRuns := fs.Int("max-runs", 2000, "stop after this many runs, keeping the smallest failing spec found so far")
	memory := memoryFlag(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "shrink", err)
	}
	budget, err := parseSize("-memory", *memory)
	if err != nil {
		return fail(stderr, "shrink", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "shrink", errors.New("needs exactly one spec file (simrun shrink SPEC.json)"))
	}
	if *maxRuns < 1 || *maxRuns > maxShrinkRuns {
		return fail(stderr, "shrink", fmt.Errorf("-max-runs %d: must be in [1, %d]", *maxRuns, maxShrinkRuns))
	}
	spec, err := readSpec(pos[0])
	if err != nil {
		return fail(stderr, "shrink", err)
	}
	defer watchMemory(budget, stderr, "shrink "+pos[0], exitInternal)()
	res, err := scenarios.Shrink(spec, scenarios.ShrinkOptions{MaxRuns: *maxRuns, Progress: func(z scenarios.Size) {
		fmt.Fprintf(stderr, "  smaller: %v\n", z)
	}})
	if err != nil {
		return fail(stderr, "shrink", fmt.Errorf("%s: %w", pos[0], err))
	}
	out := strings.TrimSuffix(pos[0], ".json") + ".min.json"
	f, err := os.Create(out)
	if err != nil {
		return fail(stderr, "shrink", err)
	}
	if err := res.Spec.Encode(f); err != nil {
		f.Close()
		return fail(stderr, "shrink", err)
	}
	if err := f.Close(); err != nil {
		return fail(stderr, "shrink", err)
	}
	fmt.Fprintf(stdout, "shrunk %s in %d runs; it still fails %s\n", pos[0], res.Runs, res.Check)
	fmt.Fprintf(stdout, "  before  %v\n  after   %v\n", res.Before, res.After)
	fmt.Fprintf(stdout, "written to %s (replay: %s replay %s)\n", out, self, out)
	return exitPass
}
