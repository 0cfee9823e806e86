package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/detsim/detsim/scenarios"
)

func readSpec(path string) (scenarios.Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return scenarios.Spec{}, err
	}
	defer f.Close()
	spec, err := scenarios.DecodeSpec(f)
	if err != nil {
		return scenarios.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, "replay", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "replay", errors.New("needs exactly one spec file (simrun replay SPEC.json)"))
	}
	spec, err := readSpec(pos[0])
	if err != nil {
		return fail(stderr, "replay", err)
	}
	r, err := scenarios.Run(spec.Scenario, spec.Seed, scenarios.Options{})
	if err != nil {
		return fail(stderr, "replay", err)
	}
	fmt.Fprintf(stdout, "%s seed %d: %s\n", spec.Scenario.Name, spec.Seed, r.Verdict)
	for _, reason := range r.Reasons {
		fmt.Fprintf(stdout, "  %s\n", oneLine(reason.String()))
	}
	fmt.Fprintf(stdout, "trace hash %s", r.TraceHash)
	switch {
	case spec.TraceHash == "":
		fmt.Fprintf(stdout, " (the spec records no hash to compare)\n")
	case spec.TraceHash == r.TraceHash:
		fmt.Fprintf(stdout, " matches the spec: the run replayed event for event\n")
	default:
		fmt.Fprintf(stdout, " DIFFERS from the spec's %s: the run did not replay (different code or build?)\n", spec.TraceHash)
		return exitFail
	}
	return verdictExit(r.Verdict)
}

func verdictExit(v scenarios.Verdict) int {
	switch v {
	case scenarios.Pass:
		return exitPass
	case scenarios.Fail:
		return exitFail
	}
	return exitUnknown
}
