package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"

	"github.com/detsim/detsim/capmeter"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

// cmdCap measures the CAP theorem: every system of the suite under every
// partition, over seeds, as a table, JSON and a page.
func cmdCap(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cap", flag.ContinueOnError)
	seeds := fs.Int("seeds", 0, "seeds per (system, partition) pair; 0 keeps the suite's")
	rate := fs.Float64("rate", 0, "every system's workload rate, in operations per second per client; 0 keeps the suite's")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "runs in parallel")
	suitePath := fs.String("suite", "", "a suite JSON file; empty runs the default suite")
	jsonPath := fs.String("json", "", "write the table as JSON to FILE (- for stdout)")
	outDir := fs.String("out", "", "write the page (cap.html) and each failing seed's artifacts to DIR")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "cap", err)
	}
	if len(pos) != 0 {
		return fail(stderr, "cap", fmt.Errorf("takes no positional arguments (got %q)", pos))
	}
	if *jobs < 1 {
		return fail(stderr, "cap", fmt.Errorf("-j must be at least 1 (is %d)", *jobs))
	}
	suite := capmeter.Default()
	if *suitePath != "" {
		b, err := os.ReadFile(*suitePath)
		if err != nil {
			return fail(stderr, "cap", err)
		}
		if suite, err = capmeter.Decode(b); err != nil {
			return fail(stderr, "cap", fmt.Errorf("%s: %w", *suitePath, err))
		}
	}
	if *seeds < 0 || *seeds > 100_000 {
		return fail(stderr, "cap", fmt.Errorf("-seeds must be in [0, 100000] (is %d)", *seeds))
	}
	if *seeds > 0 {
		suite.Seeds = *seeds
	}
	if math.IsNaN(*rate) || *rate < 0 || *rate > system.RateMax {
		return fail(stderr, "cap", fmt.Errorf("-rate must be in [0, %d] operations per second per client (is %v)", system.RateMax, *rate))
	}
	if *rate > 0 {
		suite.Rate = *rate
	}
	table, err := capmeter.Run(suite, *jobs)
	if err != nil {
		return fail(stderr, "cap", err)
	}
	if *jsonPath == "-" {
		if err := table.WriteJSON(stdout); err != nil {
			return fail(stderr, "cap", err)
		}
		return exitPass
	}
	if err := table.WriteText(stdout); err != nil {
		return fail(stderr, "cap", err)
	}
	if *jsonPath != "" {
		if err := writeFile(*jsonPath, table.WriteJSON); err != nil {
			return fail(stderr, "cap", err)
		}
	}
	if *outDir != "" {
		page, err := writeCapPage(*outDir, suite, table)
		if err != nil {
			return fail(stderr, "cap", err)
		}
		fmt.Fprintf(stdout, "page: %s\n", page)
	}
	return exitPass
}

// writeCapPage writes each row's failing seed's artifacts under dir and
// the page that links to them.
func writeCapPage(dir string, suite capmeter.Suite, table *capmeter.Table) (string, error) {
	links := map[string]capmeter.Link{}
	for _, row := range table.Rows {
		if row.FailingSeed == 0 {
			continue
		}
		sc, err := capScenario(suite, row)
		if err != nil {
			return "", err
		}
		sub := fmt.Sprintf("%s-seed%d", sc.Name, row.FailingSeed)
		if _, err := writeArtifacts(filepath.Join(dir, sub), sc, row.FailingSeed, row.Result(row.FailingSeed), defaultPageWindow); err != nil {
			return "", fmt.Errorf("artifacts of %v seed %d: %w", row, row.FailingSeed, err)
		}
		links[row.String()] = capmeter.Link{
			Replay: "simrun replay " + filepath.Join(dir, sub, specFile),
			Page:   sub + "/" + pageFile,
		}
	}
	path := filepath.Join(dir, "cap.html")
	return path, writeFile(path, func(w io.Writer) error { return table.WritePage(w, links) })
}

func capScenario(suite capmeter.Suite, row capmeter.Row) (scenarios.Scenario, error) {
	for _, e := range suite.Systems {
		for _, p := range suite.Partitions {
			if e.Label == row.System && p.Name == row.Partition {
				return suite.Scenario(e, p)
			}
		}
	}
	return scenarios.Scenario{}, errors.New("no suite entry for " + row.String())
}
