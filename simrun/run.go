package simrun

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
)

// loadScenario takes a built-in name or a path to a scenario JSON file.
func loadScenario(name string) (scenarios.Scenario, error) {
	if strings.HasSuffix(name, ".json") {
		b, err := os.ReadFile(name)
		if err != nil {
			return scenarios.Scenario{}, err
		}
		if fileKind(b) == kindSpec {
			return scenarios.Scenario{}, fmt.Errorf("%s is a failure spec, not a scenario: replay it with %s replay %s (or make it smaller with %s shrink %s)", name, self, name, self, name)
		}
		s, err := scenarios.Decode(bytes.NewReader(b))
		if err != nil {
			return scenarios.Scenario{}, fmt.Errorf("%s: %w", name, err)
		}
		return s, nil
	}
	return scenarios.Lookup(name)
}

// traceSink opens a trace file in the given format.
type traceSink interface {
	sim.Sink
	Flush() error
}

func openTrace(path, format string) (traceSink, *os.File, error) {
	if format != "text" && format != "jsonl" {
		return nil, nil, fmt.Errorf("-trace-format %q is not text or jsonl", format)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	if format == "text" {
		return sim.NewTextSink(f), f, nil
	}
	return sim.NewJSONSink(f), f, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	seed := fs.Uint64("seed", 1, "the seed")
	tracePath := fs.String("trace", "", "write the trace to this file")
	traceFormat := fs.String("trace-format", "jsonl", "trace format: text or jsonl")
	outDir := fs.String("out", "", "where a failure's artifacts go (default simrun-out/NAME-seed-N)")
	memory := memoryFlag(fs)
	window := fs.Duration("window", defaultPageWindow, "the failure page's window of virtual time around the failure (four fifths before it)")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if *window < minPageWindow || *window > maxPageWindow {
		return fail(stderr, "run", fmt.Errorf("-window %v: must be in [%v, %v]", *window, minPageWindow, maxPageWindow))
	}
	budget, err := parseSize("-memory", *memory)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "run", errors.New("needs exactly one scenario name or file (simrun run NAME [-seed N])"))
	}
	s, err := loadScenario(pos[0])
	if err != nil {
		return fail(stderr, "run", err)
	}
	opts := scenarios.Options{}
	var sink traceSink
	if *tracePath != "" {
		var f *os.File
		if sink, f, err = openTrace(*tracePath, *traceFormat); err != nil {
			return fail(stderr, "run", err)
		}
		defer f.Close()
		opts.Sink = sink
	}
	stopWatch := watchMemory(budget, stderr, "run "+pos[0], exitInternal)
	r, err := scenarios.Run(s, *seed, opts)
	stopWatch()
	if err != nil {
		return fail(stderr, "run", err)
	}
	if sink != nil {
		if err := sink.Flush(); err != nil {
			return fail(stderr, "run", err)
		}
	}
	printResult(stdout, r)
	if *tracePath != "" {
		fmt.Fprintf(stdout, "  trace         %s\n", *tracePath)
	}
	if r.Verdict == scenarios.Fail {
		dir := *outDir
		if dir == "" {
			dir = filepath.Join("simrun-out", fmt.Sprintf("%s-seed-%d", s.Name, *seed))
		}
		files, err := writeArtifacts(dir, s, *seed, r, *window)
		if err != nil {
			fmt.Fprintf(stderr, "simrun run: writing the failure's artifacts: %v\n", oneLine(err.Error()))
			return exitFail
		}
		fmt.Fprintf(stdout, "  artifacts     %s\n", dir)
		for _, f := range files {
			fmt.Fprintf(stdout, "    %s\n", f)
		}
	}
	return verdictExit(r.Verdict)
}

func printResult(w io.Writer, r *scenarios.Result) {
	fmt.Fprintf(w, "%s seed %d: %s", r.Scenario, r.Seed, r.Verdict)
	if !r.Expected {
		fmt.Fprintf(w, " (NOT the verdict the scenario expects)")
	} else if r.Verdict == scenarios.Fail {
		fmt.Fprintf(w, " (as the scenario expects)")
	}
	fmt.Fprintln(w)
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "  %s\n", oneLine(reason.String()))
	}
	fmt.Fprintf(w, "  checks        %s\n", strings.Join(r.Checks, ", "))
	fmt.Fprintf(w, "  trace hash    %s\n", r.TraceHash)
	fmt.Fprintf(w, "  events        %d\n", r.Events)
	fmt.Fprintf(w, "  virtual time  %v (wall %v, %.3gx real time)\n", r.Virtual, time.Duration(r.Wall).Round(10*time.Microsecond), float64(r.Virtual)/float64(max(r.Wall, 1)))
	fmt.Fprintf(w, "  operations    %d invoked: %d ok, %d failed, %d unknown; %.0f ok/s\n", r.Ops.Invoked, r.Ops.OK, r.Ops.Failed, r.Ops.Unknown, r.Throughput)
	if r.Ops.OK > 0 {
		fmt.Fprintf(w, "  latency       p50 %v, p90 %v, p99 %v, max %v\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	}
	fmt.Fprintf(w, "  messages      %d sent, %d delivered, %d dropped, %d duplicated\n", r.Messages.Sent, r.Messages.Delivered, r.Messages.Dropped, r.Messages.Duplicated)
	fmt.Fprintf(w, "  faults        %d\n", r.Faults)
	if len(r.Counters) > 0 {
		names := make([]string, 0, len(r.Counters))
		for name := range r.Counters {
			names = append(names, name)
		}
		slices.Sort(names)
		var parts []string
		for _, name := range names {
			parts = append(parts, fmt.Sprintf("%s %d", name, r.Counters[name]))
		}
		fmt.Fprintf(w, "  counters      %s\n", strings.Join(parts, ", "))
	}
	if st := r.Staleness; st != nil {
		fmt.Fprintf(w, "  staleness     %s\n", oneLine(st.String()))
	}
}
