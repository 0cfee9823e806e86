package simrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// traceOf runs a built-in scenario with a JSON trace and returns its path.
func traceOf(t *testing.T, dir, name string, seed int) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", name, seed))
	if code, out, errOut := simrun(t, "run", name, "-seed", fmt.Sprint(seed), "-trace", path, "-trace-format", "jsonl", "-out", filepath.Join(dir, "out")); code != exitPass && code != exitFail {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	return path
}

func TestDiffOfTwoSeedsNamesWhereTheyPart(t *testing.T) {
	dir := t.TempDir()
	a, b := traceOf(t, dir, "gossip-example", 1), traceOf(t, dir, "gossip-example", 2)
	code, out, errOut := simrun(t, "diff", a, b, "-context", "3")
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFail, out, errOut)
	}
	// Where they part, found the plain way: the first line that differs.
	la, _ := os.ReadFile(a)
	lb, _ := os.ReadFile(b)
	linesA, linesB := strings.Split(string(la), "\n"), strings.Split(string(lb), "\n")
	k := 0
	for linesA[k] == linesB[k] {
		k++
	}
	var recA, recB struct {
		I    uint64 `json:"i"`
		Kind string `json:"kind"`
		Host string `json:"host"`
	}
	json.Unmarshal([]byte(linesA[k]), &recA)
	json.Unmarshal([]byte(linesB[k]), &recB)
	if !strings.Contains(out, fmt.Sprintf("they part at record %d (event %d,", k+1, recA.I)) {
		t.Fatalf("the output does not name record %d (event %d):\n%s", k+1, recA.I, out)
	}
	var partA, partB string
	context := 0
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "A  ") && !strings.HasPrefix(line, "A  trace"):
			partA = line
		case strings.HasPrefix(line, "B  ") && !strings.HasPrefix(line, "B  trace"):
			partB = line
		case strings.HasPrefix(line, "   "):
			context++
		}
	}
	if fields := strings.Fields(partA); len(fields) < 5 || fields[1] != fmt.Sprint(recA.I) || fields[3] != recA.Kind || fields[4] != recA.Host {
		t.Errorf("A's parting record is shown as %q, want event %d, %s on %s", partA, recA.I, recA.Kind, recA.Host)
	}
	if fields := strings.Fields(partB); len(fields) < 5 || fields[3] != recB.Kind || fields[4] != recB.Host {
		t.Errorf("B's parting record is shown as %q, want %s on %s", partB, recB.Kind, recB.Host)
	}
	if context != min(3, k) {
		t.Errorf("%d records of context, want %d:\n%s", context, min(3, k), out)
	}
}

func TestDiffOfASpecWithItselfAndWithItsTrace(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "run.jsonl")
	out := filepath.Join(dir, "out")
	if code, stdout, errOut := simrun(t, "run", "raft-bug-stale-reads", "-seed", "1", "-trace", trace, "-out", out); code != exitFail {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, errOut)
	}
	spec := filepath.Join(out, specFile)
	lines := bytes.Count(must(os.ReadFile(trace)), []byte("\n"))
	for _, pair := range [][2]string{
		{spec, spec},
		{spec, trace},
		{filepath.Join(out, traceFile), spec},
	} {
		code, stdout, errOut := simrun(t, "diff", pair[0], pair[1])
		if code != exitPass || !strings.Contains(stdout, fmt.Sprintf("identical: the same %d records", lines)) {
			t.Errorf("diff %s %s: exit %d\n%s%s", filepath.Base(pair[0]), filepath.Base(pair[1]), code, stdout, errOut)
		}
	}
	// A trace cut short parts from the full one where it ends.
	short := filepath.Join(dir, "short.jsonl")
	full := must(os.ReadFile(trace))
	os.WriteFile(short, bytes.Join(bytes.SplitAfter(full, []byte("\n"))[:100], nil), 0o644)
	code, stdout, _ := simrun(t, "diff", spec, short, "-context", "0")
	if code != exitFail || !strings.Contains(stdout, "they part at record 101") || !strings.Contains(stdout, "B  (the trace ends here)") {
		t.Errorf("diff against a cut trace: exit %d\n%s", code, stdout)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDiffInputErrors(t *testing.T) {
	dir := t.TempDir()
	trace := traceOf(t, dir, "gossip-example", 1)
	notSpec := filepath.Join(dir, "scenario.json")
	os.WriteFile(notSpec, []byte(`{"name": "x"}`), 0o644)
	broken := filepath.Join(dir, "broken.jsonl")
	os.WriteFile(broken, append(must(os.ReadFile(trace))[:300], "\n{oops\n"...), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"diff", trace}, "needs two traces or specs"},
		{[]string{"diff", trace, trace, "-context", "-1"}, "-context -1"},
		{[]string{"diff", trace, filepath.Join(dir, "nope.jsonl")}, "B: open"},
		{[]string{"diff", notSpec, trace}, "A: neither a JSON Lines trace nor a spec"},
		{[]string{"diff", trace, broken}, "trace B, line"},
	}
	for _, c := range cases {
		code, _, errOut := simrun(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("simrun %s: exit %d, stderr %q; want exit 2 and one line containing %q", strings.Join(c.args[1:], " "), code, errOut, c.want)
		}
	}
}
