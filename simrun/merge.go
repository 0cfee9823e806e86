package simrun

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/detsim/detsim/scenarios"
)

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	jsonPath := fs.String("json", "", "write the merged results to this file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, "merge", err)
	}
	if len(pos) == 0 {
		return fail(stderr, "merge", errors.New("needs the JSON files of the shards (simrun merge a.json b.json ...)"))
	}
	var reps []*sweepReport
	for _, path := range pos {
		rep, err := readReport(path)
		if err != nil {
			return fail(stderr, "merge", err)
		}
		reps = append(reps, rep)
	}
	merged, err := mergeReports(reps)
	if err != nil {
		return fail(stderr, "merge", err)
	}
	printSweep(stdout, merged)
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, merged); err != nil {
			return fail(stderr, "merge", err)
		}
	}
	return sweepExit(merged.Tally, false)
}

func readReport(path string) (*sweepReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep sweepReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: not a sweep result: %v", path, err)
	}
	if rep.Tally == nil || rep.Scenario == "" {
		return nil, fmt.Errorf("%s: not a sweep result (no scenario or tally)", path)
	}
	if rep.Tally.Fired == nil {
		rep.Tally.Fired = map[scenarios.Probe]int{}
	}
	return &rep, nil
}

// mergeReports combines shard reports of one sweep. The shards must cover
// disjoint parts of the same range; gaps are reported, not hidden.
func mergeReports(reps []*sweepReport) (*sweepReport, error) {
	slices.SortFunc(reps, func(a, b *sweepReport) int { return cmp.Compare(a.Ran.Lo, b.Ran.Lo) })
	first := reps[0]
	out := &sweepReport{Scenario: first.Scenario, Seeds: first.Seeds, Shard: shard{0, 1}, Ran: seedRange{first.Ran.Lo, first.Ran.Lo}, Tally: &scenarios.Tally{Scenario: first.Scenario, Expect: first.Tally.Expect, Probes: first.Tally.Probes, Fired: map[scenarios.Probe]int{}}}
	for _, rep := range reps {
		if rep.Scenario != first.Scenario {
			return nil, fmt.Errorf("shards of different scenarios: %q and %q", first.Scenario, rep.Scenario)
		}
		if rep.Ran.Lo < out.Ran.Hi {
			return nil, fmt.Errorf("shards overlap at seed %d (shard %d/%d)", rep.Ran.Lo, rep.Shard.I, rep.Shard.N)
		}
		if rep.Ran.Lo > out.Ran.Hi {
			return nil, fmt.Errorf("seeds %d:%d are in no shard", out.Ran.Hi, rep.Ran.Lo)
		}
		out.Ran.Hi = rep.Ran.Hi
		if err := out.Tally.Merge(rep.Tally); err != nil {
			return nil, err
		}
		out.Events += rep.Events
		out.WallSeconds += rep.WallSeconds
		out.Failures = append(out.Failures, rep.Failures...)
		out.Worst = append(out.Worst, rep.Worst...)
	}
	if out.Ran != out.Seeds {
		return nil, fmt.Errorf("the shards cover seeds %d:%d, not the whole range %d:%d", out.Ran.Lo, out.Ran.Hi, out.Seeds.Lo, out.Seeds.Hi)
	}
	slices.SortFunc(out.Worst, func(a, b worstLatency) int { return cmp.Compare(b.P99, a.P99) })
	out.Worst = out.Worst[:min(len(out.Worst), keepWorst)]
	if len(out.Failures) > keepFailures {
		out.Failures = out.Failures[:keepFailures]
	}
	if out.WallSeconds > 0 {
		// Shards run side by side; this is seeds per machine-second.
		out.SeedsPerSec = float64(out.Tally.Runs) / out.WallSeconds
	}
	return out, nil
}
