package simrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/detsim/detsim/scenarios"
)

func readSpec(path string) (scenarios.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return scenarios.Spec{}, err
	}
	if fileKind(b) == kindScenario {
		return scenarios.Spec{}, fmt.Errorf("%s is a scenario, not a failure spec: run it with %s run %s -seed N (replay and shrink take the spec.json a failing run writes)", path, self, path)
	}
	spec, err := scenarios.DecodeSpec(bytes.NewReader(b))
	if err != nil {
		return scenarios.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

type jsonKind int

const (
	kindOther jsonKind = iota
	kindScenario
	kindSpec
)

// fileKind tells a failure spec ({"scenario": ..., "seed": ...}) from a
// scenario ({"name": ..., "system": ...}) by their top-level fields, so
// that the wrong kind of file to a command is named as such.
func fileKind(b []byte) jsonKind {
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return kindOther
	}
	_, scenario := top["scenario"]
	_, system := top["system"]
	switch {
	case scenario && !system:
		return kindSpec
	case system && !scenario:
		return kindScenario
	}
	return kindOther
}

func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	memory := memoryFlag(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "replay", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "replay", errors.New("needs exactly one spec file (simrun replay SPEC.json)"))
	}
	budget, err := parseSize("-memory", *memory)
	if err != nil {
		return fail(stderr, "replay", err)
	}
	spec, err := readSpec(pos[0])
	if err != nil {
		return fail(stderr, "replay", err)
	}
	defer watchMemory(budget, stderr, "replay "+pos[0], exitInternal)()
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
		fmt.Fprintf(stdout, " DIFFERS from the spec's %s\n", spec.TraceHash)
		fmt.Fprintf(stderr, "simrun replay: TRACE HASH MISMATCH: %s records %s, the run gave %s.\n"+
			"  The run did NOT replay: the code, the build or the system's registration differ from the\n"+
			"  run that wrote the spec, and its verdict (%s) says nothing about that run. simrun diff\n"+
			"  %s TRACE.jsonl shows where they part.\n", pos[0], spec.TraceHash, r.TraceHash, r.Verdict, pos[0])
		return exitMismatch
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
