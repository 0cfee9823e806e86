package simrun

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// stdin is what "merge -" reads; tests put a log there.
var stdin io.Reader = os.Stdin

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	jsonPath := fs.String("json", "", "write the merged results to this file")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return fail(stderr, "merge", err)
	}
	if len(pos) == 0 {
		return fail(stderr, "merge", errors.New("needs the JSON files of the shards (simrun merge a.json b.json ...), or - to read their logs from stdin"))
	}
	var reps []*sweepReport
	if n := slices.Index(pos, "-"); n >= 0 && slices.Index(pos[n+1:], "-") >= 0 {
		return fail(stderr, "merge", errors.New("- names stdin, which can be read only once"))
	}
	for _, path := range pos {
		if path == "-" {
			if isTerminal(stdin) {
				return fail(stderr, "merge", errors.New("- reads the shards' logs from stdin, which is a terminal (or another device), not a pipe or a file: pipe them in (kubectl logs ... | simrun merge -)"))
			}
			got, err := readLogReports(stdin, "stdin")
			if err != nil {
				return fail(stderr, "merge", err)
			}
			reps = append(reps, got...)
			continue
		}
		rep, err := readReport(path)
		if err != nil {
			return fail(stderr, "merge", err)
		}
		reps = append(reps, rep)
	}
	merged, repeats, err := mergeReports(reps)
	if err != nil {
		return fail(stderr, "merge", err)
	}
	for _, r := range repeats {
		fmt.Fprintf(stderr, "simrun merge: %s\n", r)
	}
	printSweep(stdout, merged)
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, merged); err != nil {
			return fail(stderr, "merge", err)
		}
	}
	return sweepExit(merged.Tally, false)
}

// isTerminal says whether r is a terminal, which a merge would wait on for
// a log no one is going to type. It cannot tell a terminal from another
// character device such as /dev/null, which holds no log either.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func readReport(path string) (*sweepReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rep, err := decodeReport(b)
	if err != nil {
		return nil, fmt.Errorf("%s: not a sweep result: %v", path, err)
	}
	rep.origin = path
	return rep, nil
}

var errNotReport = errors.New("JSON, but no scenario or tally")

func decodeReport(b []byte) (*sweepReport, error) {
	var rep sweepReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	if rep.Tally == nil || rep.Scenario == "" {
		return nil, errNotReport
	}
	if rep.Tally.Fired == nil {
		rep.Tally.Fired = map[scenarios.Probe]int{}
	}
	return &rep, nil
}

// readLogReports reads the results in a log: the output of shards that ran
// with -json -, concatenated, as `kubectl logs --prefix` prints it. Once
// what the collector put before a line is stripped (see splitLogPrefix), a
// line that begins with "{" is a result and every other line (progress,
// summaries, the collector's own errors) is skipped. A line that begins
// with "{" but is not a whole result is an error, never skipped: a shard
// killed while it wrote its result would otherwise vanish, and merge would
// blame a gap instead of the kill.
func readLogReports(r io.Reader, name string) ([]*sweepReport, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var reps []*sweepReport
	lines := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			lines++
			source, text := splitLogPrefix(line)
			if len(text) > 0 && text[0] == '{' {
				where := fmt.Sprintf("%s line %d", name, lines)
				if source != "" {
					where += " (" + source + ")"
				}
				rep, err := decodeReport(text)
				if err != nil {
					return nil, fmt.Errorf("%s: %s", where, whyNotReport(err, text, line))
				}
				rep.origin = where
				reps = append(reps, rep)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	}
	if len(reps) == 0 {
		return nil, fmt.Errorf("%s: no sweep result in %d lines (the shards must run with -json -)", name, lines)
	}
	return reps, nil
}

func whyNotReport(err error, text, line []byte) string {
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, errNotReport):
		return "a JSON line that is not a sweep result (" + err.Error() + ")"
	case errors.As(err, &syntax) && syntax.Offset >= int64(len(text)):
		cut := "the line ends"
		if line[len(line)-1] != '\n' {
			cut = "the log ends"
		}
		return fmt.Sprintf("a sweep result cut short after %d bytes (%s inside it: was the shard killed while writing it?)", len(text), cut)
	case errors.As(err, &syntax) && glued(text, syntax.Offset) >= 0:
		// A collector that lost a line's end glues the next line on:
		// where that line's prefix starts, the result was cut.
		at := glued(text, syntax.Offset)
		return fmt.Sprintf("a sweep result cut short after %d bytes (another line of the log follows inside it: was the shard killed while writing it?)", at)
	}
	return "a malformed sweep result: " + err.Error()
}

// glued is where, before offset, a log collector's prefix of another line
// begins inside text, or -1.
func glued(text []byte, offset int64) int {
	i := bytes.Index(text, []byte("[pod/"))
	if i < 0 || int64(i) >= offset {
		return -1
	}
	return i
}

// splitLogPrefix splits off what a log collector put before a line's text:
// kubectl's "[pod/NAME/CONTAINER] " with --prefix, then an RFC 3339
// timestamp with --timestamps. The text loses its line ending.
func splitLogPrefix(line []byte) (source string, text []byte) {
	text = bytes.TrimRight(line, "\r\n")
	if bytes.HasPrefix(text, []byte("[pod/")) {
		if end := bytes.Index(text, []byte("] ")); end > 0 {
			source, text = string(text[1:end]), text[end+2:]
		}
	}
	if sp := bytes.IndexByte(text, ' '); sp > 0 && text[0] >= '0' && text[0] <= '9' {
		if _, err := time.Parse(time.RFC3339Nano, string(text[:sp])); err == nil {
			text = text[sp+1:]
		}
	}
	return source, text
}

// mergeReports combines shard reports of one sweep. The shards must cover
// disjoint parts of the same range; gaps are reported, not hidden. A shard
// reported twice (a pod that printed its result and was then evicted, and
// ran again) is counted once if both reports agree, as the same seeds must;
// repeats lists those it dropped.
func mergeReports(reps []*sweepReport) (merged *sweepReport, repeats []string, err error) {
	slices.SortStableFunc(reps, func(a, b *sweepReport) int {
		return cmp.Or(cmp.Compare(a.Ran.Lo, b.Ran.Lo), cmp.Compare(a.Ran.Hi, b.Ran.Hi))
	})
	first := reps[0]
	out := &sweepReport{Scenario: first.Scenario, Source: first.Source, Seeds: first.Seeds, Shard: shard{0, 1}, Ran: seedRange{first.Ran.Lo, first.Ran.Lo}, Tally: &scenarios.Tally{Scenario: first.Scenario, Expect: first.Tally.Expect, Probes: first.Tally.Probes, Fired: map[scenarios.Probe]int{}}}
	var prev *sweepReport
	for _, rep := range reps {
		if rep.Scenario != first.Scenario {
			return nil, nil, fmt.Errorf("shards of different scenarios: %q (%s) and %q (%s)", first.Scenario, first.origin, rep.Scenario, rep.origin)
		}
		if rep.Seeds != first.Seeds {
			return nil, nil, fmt.Errorf("shards of different sweeps: %s is part of seeds %d:%d, %s of %d:%d", first.origin, first.Seeds.Lo, first.Seeds.Hi, rep.origin, rep.Seeds.Lo, rep.Seeds.Hi)
		}
		if prev != nil && rep.Shard == prev.Shard && rep.Ran == prev.Ran {
			if !sameOutcome(prev, rep) {
				return nil, nil, fmt.Errorf("shard %d/%d (seeds %d:%d) is reported twice with different results, by %s and %s", rep.Shard.I, rep.Shard.N, rep.Ran.Lo, rep.Ran.Hi, prev.origin, rep.origin)
			}
			repeats = append(repeats, fmt.Sprintf("%s repeats shard %d/%d of %s; counted once", rep.origin, rep.Shard.I, rep.Shard.N, prev.origin))
			continue
		}
		if rep.Ran.Lo < out.Ran.Hi {
			return nil, nil, fmt.Errorf("shards overlap at seed %d (shard %d/%d, %s)", rep.Ran.Lo, rep.Shard.I, rep.Shard.N, rep.origin)
		}
		if rep.Ran.Lo > out.Ran.Hi {
			return nil, nil, fmt.Errorf("seeds %d:%d are in no shard", out.Ran.Hi, rep.Ran.Lo)
		}
		prev = rep
		out.Ran.Hi = rep.Ran.Hi
		if err := out.Tally.Merge(rep.Tally); err != nil {
			return nil, nil, err
		}
		out.Events += rep.Events
		out.WallSeconds += rep.WallSeconds
		out.Failures = append(out.Failures, rep.Failures...)
		out.Worst = append(out.Worst, rep.Worst...)
	}
	if out.Ran != out.Seeds {
		return nil, nil, fmt.Errorf("the shards cover seeds %d:%d, not the whole range %d:%d", out.Ran.Lo, out.Ran.Hi, out.Seeds.Lo, out.Seeds.Hi)
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
	return out, repeats, nil
}

// sameOutcome says whether two runs of one shard agree on everything the
// seeds decide: the tally, the events, and each failure's trace hash.
// Wall-clock figures differ between runs and are not compared.
func sameOutcome(a, b *sweepReport) bool {
	type outcome struct {
		Tally  *scenarios.Tally
		Events uint64
		Hashes []string
	}
	summarize := func(r *sweepReport) []byte {
		o := outcome{Tally: r.Tally, Events: r.Events}
		for _, f := range r.Failures {
			o.Hashes = append(o.Hashes, fmt.Sprintf("%d:%s", f.Seed, f.TraceHash))
		}
		b, _ := json.Marshal(o)
		return b
	}
	return bytes.Equal(summarize(a), summarize(b))
}
