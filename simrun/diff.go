package simrun

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
)

// maxDiffContext bounds -context: the diff holds that many records of
// each trace in memory.
const maxDiffContext = 100_000

// cmdDiff compares two runs, each a JSON Lines trace or a spec to run, and
// prints the first record where they part with the records before it.
// Exit 0: identical; 1: they part; 2: bad input.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	context := fs.Int("context", 10, "how many records before the parting one to show")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "diff", err)
	}
	if len(pos) != 2 {
		return fail(stderr, "diff", errors.New("needs two traces or specs (simrun diff A B [-context N])"))
	}
	if *context < 0 || *context > maxDiffContext {
		return fail(stderr, "diff", fmt.Errorf("-context %d: must be in [0, %d]", *context, maxDiffContext))
	}
	var inputs [2]*diffInput
	for i, path := range pos {
		in, err := openDiffInput(path)
		if err != nil {
			return fail(stderr, "diff", fmt.Errorf("%c: %w", 'A'+i, err))
		}
		defer in.close()
		inputs[i] = in
	}
	d, err := sim.DiffTraces(inputs[0].r, inputs[1].r, *context)
	if err != nil {
		return fail(stderr, "diff", err)
	}
	for i, in := range inputs {
		fmt.Fprintf(stdout, "%c  %s\n", 'A'+i, in.what)
	}
	if d.Identical() {
		fmt.Fprintf(stdout, "identical: the same %d records\n", d.Same)
		return exitPass
	}
	at := d.A
	if at == nil {
		at = d.B
	}
	fmt.Fprintf(stdout, "they part at record %d (event %d, %v)", d.Same+1, at.Index, at.At)
	if len(d.Before) > 0 {
		fmt.Fprintf(stdout, ", after these %d, the same in both:\n", len(d.Before))
		for i := range d.Before {
			fmt.Fprintf(stdout, "   %s\n", d.Before[i].String())
		}
	} else {
		fmt.Fprintln(stdout, ":")
	}
	for i, r := range []*sim.Record{d.A, d.B} {
		line := "(the trace ends here)"
		if r != nil {
			line = r.String()
		}
		fmt.Fprintf(stdout, "%c  %s\n", 'A'+i, line)
	}
	return exitFail
}

// diffInput is one side of a diff: a trace, read from its file or from the
// run of a spec written to a temporary file.
type diffInput struct {
	what  string
	r     io.Reader
	close func()
}

// openDiffInput tells a trace from a spec by the first line: a trace's is a
// record, a spec's is not.
func openDiffInput(path string) (*diffInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.Peek(br.Size())
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		f.Close()
		return nil, err
	}
	first, _, _ := bytes.Cut(head, []byte("\n"))
	if isTraceRecord(first) {
		return &diffInput{what: "trace " + path, r: br, close: func() { f.Close() }}, nil
	}
	f.Close()
	spec, err := readSpec(path)
	if err != nil {
		return nil, fmt.Errorf("neither a JSON Lines trace nor a spec: %w", err)
	}
	return runForDiff(path, spec)
}

func isTraceRecord(line []byte) bool {
	if bytes.HasPrefix(line, []byte(`{"i":`)) {
		return true // as JSONSink begins every line, however long
	}
	var rec struct {
		I    *uint64 `json:"i"`
		Kind *string `json:"kind"`
	}
	return json.Unmarshal(bytes.TrimSpace(line), &rec) == nil && rec.I != nil && rec.Kind != nil
}

// runForDiff runs spec with a JSON sink into a temporary file, removed when
// the diff is done.
func runForDiff(path string, spec scenarios.Spec) (*diffInput, error) {
	tf, err := os.CreateTemp("", "simrun-diff-*.jsonl")
	if err != nil {
		return nil, err
	}
	remove := func() { tf.Close(); os.Remove(tf.Name()) }
	sink := sim.NewJSONSink(tf)
	r, err := scenarios.Run(spec.Scenario, spec.Seed, scenarios.Options{Sink: sink})
	if err == nil {
		err = sink.Flush()
	}
	if err == nil {
		_, err = tf.Seek(0, io.SeekStart)
	}
	if err != nil {
		remove()
		return nil, err
	}
	what := fmt.Sprintf("spec %s, run again: %s seed %d, %s, trace hash %s", path, spec.Scenario.Name, spec.Seed, r.Verdict, r.TraceHash)
	if spec.TraceHash != "" && spec.TraceHash != r.TraceHash {
		what += " (the spec recorded " + spec.TraceHash + ": this build does not replay it)"
	}
	return &diffInput{what: what, r: bufio.NewReaderSize(tf, 64<<10), close: remove}, nil
}
