package simrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// podLog runs shard i of n as a pod of the Kubernetes Job does and returns
// its log as `kubectl logs --prefix` prints it: stderr and stdout, each line
// behind the pod's name.
func podLog(t *testing.T, scenario, seeds string, i, n int) (code int, log string) {
	t.Helper()
	return shardLog(scenario, seeds, i, n)
}

func shardLog(scenario, seeds string, i, n int) (code int, log string) {
	var out, errOut bytes.Buffer
	code = run([]string{"sweep", scenario, "-seeds", seeds, "-shard", fmt.Sprintf("%d/%d", i, n), "-j", "1", "-json", "-"}, &out, &errOut)
	prefix := fmt.Sprintf("[pod/detsim-sweep-%d-x%dz/sweep] ", i, i)
	var b strings.Builder
	for _, line := range strings.SplitAfter(errOut.String()+out.String(), "\n") {
		if line != "" {
			b.WriteString(prefix + line)
		}
	}
	return code, b.String()
}

// podLogs is the log of every shard of a sweep, in the order given.
func podLogs(t *testing.T, scenario, seeds string, n int, order ...int) string {
	t.Helper()
	var b strings.Builder
	for _, i := range order {
		code, l := podLog(t, scenario, seeds, i, n)
		if code != exitPass {
			t.Fatalf("shard %d/%d: exit %d\n%s", i, n, code, l)
		}
		b.WriteString(l)
	}
	return b.String()
}

// mergeLog runs "simrun merge -" on log.
func mergeLog(t *testing.T, log string, args ...string) (int, string, string) {
	t.Helper()
	saved := stdin
	defer func() { stdin = saved }()
	stdin = strings.NewReader(log)
	return simrun(t, append([]string{"merge", "-"}, args...)...)
}

func TestSweepWithJSONDashPrintsOneResultLineAndSummarizesOnStderr(t *testing.T) {
	code, out, errOut := simrun(t, "sweep", "raft-leader-partition", "-seeds", "1:3", "-j", "2", "-json", "-")
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout is not one line:\n%s", out)
	}
	rep, err := decodeReport([]byte(out))
	if err != nil || rep.Tally.Runs != 2 || rep.Scenario != "raft-leader-partition" {
		t.Fatalf("stdout is not the sweep's result (%v): %s", err, out)
	}
	if !strings.Contains(errOut, "2 runs: 2 pass") {
		t.Fatalf("the summary is not on stderr:\n%s", errOut)
	}
}

func TestMergeOfPodLogsEqualsTheWholeSweep(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	if code, out, errOut := simrun(t, "sweep", "raft-leader-partition", "-seeds", "1:7", "-json", whole); code != exitPass {
		t.Fatalf("sweep: exit %d\n%s%s", code, out, errOut)
	}
	// kubectl prints the pods in no particular order, and its own errors
	// (a pod whose log is gone) among them.
	log := podLogs(t, "raft-leader-partition", "1:7", 4, 2, 0, 3, 1)
	log = strings.Replace(log, "[pod/detsim-sweep-3", "error: container \"sweep\" in pod \"detsim-sweep-9-abcde\" is waiting to start\n[pod/detsim-sweep-3", 1)
	merged := filepath.Join(dir, "merged.json")
	code, out, errOut := mergeLog(t, log, "-json", merged)
	if code != exitPass {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errOut)
	}
	a, _ := readReport(whole)
	b, _ := readReport(merged)
	if a.Tally.Runs != 6 || !cmp.Equal(a.Tally, b.Tally) || a.Events != b.Events || b.Ran != a.Ran {
		t.Fatalf("merged logs differ from the whole sweep: %s", cmp.Diff(a.Tally, b.Tally))
	}
}

func TestMergeOfLogsStripsTimestamps(t *testing.T) {
	log := podLogs(t, "raft-leader-partition", "1:3", 2, 0, 1)
	var stamped strings.Builder
	for _, line := range strings.SplitAfter(log, "] ") {
		stamped.WriteString(line)
		if strings.HasSuffix(line, "] ") {
			stamped.WriteString("2026-12-01T09:21:56.123456789Z ")
		}
	}
	if code, out, errOut := mergeLog(t, stamped.String()); code != exitPass || !strings.Contains(out, "2 runs: 2 pass") {
		t.Fatalf("merge of a log with timestamps: exit %d\n%s%s", code, out, errOut)
	}
}

func TestMergeOfLogsJudgesTheWholeSeedSet(t *testing.T) {
	// Each shard alone cannot say whether the planted bug showed in some
	// seed; merge can, and a bug that never showed fails the sweep.
	log := podLogs(t, "raft-bug-stale-reads", "1:3", 2, 0, 1)
	if code, out, errOut := mergeLog(t, log); code != exitPass || !strings.Contains(out, "every seed behaved as the scenario declares") {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errOut)
	}
}

func TestMergeOfLogsRefusesABrokenResult(t *testing.T) {
	log := podLogs(t, "raft-leader-partition", "1:4", 3, 0, 1, 2)
	lines := strings.SplitAfter(log, "\n")
	resultLine := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "[pod/detsim-sweep-1-x1z/sweep] {") {
			resultLine = i
		}
	}
	if resultLine < 0 {
		t.Fatalf("no result line for shard 1 in\n%s", log)
	}
	where := fmt.Sprintf("stdin line %d (pod/detsim-sweep-1-x1z/sweep)", resultLine+1)
	withLine := func(l string) string {
		c := append([]string(nil), lines...)
		c[resultLine] = l
		return strings.Join(c, "")
	}
	full := lines[resultLine]
	notReport, _ := json.Marshal(map[string]any{"level": "info", "msg": "hello"})
	cases := []struct {
		name, log, want string
	}{
		{"cut short", withLine(full[:len(full)/2] + "\n"), where + ": a sweep result cut short"},
		{"cut short at the end of the log", strings.Join(lines[:resultLine], "") + full[:len(full)-40], "the log ends inside it"},
		{"glued to the next pod's line", withLine(full[:len(full)/2] + "[pod/detsim-sweep-2-x2z/sweep] progress: 1/1 seeds\n"), where + ": a sweep result cut short"},
		{"garbled", withLine(strings.Replace(full, `"tally":`, `"tally"=`, 1)), where + ": a malformed sweep result: invalid character '='"},
		{"JSON that is no result", withLine("[pod/detsim-sweep-1-x1z/sweep] " + string(notReport) + "\n"), where + ": a JSON line that is not a sweep result"},
		{"missing", withLine(""), "seeds 2:3 are in no shard"},
		{"no results at all", "[pod/detsim-sweep-0-x0z/sweep] progress: 0/1 seeds\n", "stdin: no sweep result in 1 lines"},
	}
	// Wherever the cut falls, a result glued to the next line is cut short.
	for cut := 40; cut < len(full)-40; cut += len(full) / 17 {
		cases = append(cases, struct{ name, log, want string }{fmt.Sprintf("glued after %d bytes", cut),
			withLine(full[:cut] + "[pod/detsim-sweep-2-x2z/sweep] progress: 1/1 seeds\n"), where + ": a sweep result cut short"})
	}
	for _, c := range cases {
		code, _, errOut := mergeLog(t, c.log)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", c.name, code, errOut, c.want)
		}
	}
}

func TestMergeCountsARepeatedShardOnceAndRefusesOneThatDisagrees(t *testing.T) {
	log := podLogs(t, "raft-leader-partition", "1:4", 2, 0, 1)
	_, again := podLog(t, "raft-leader-partition", "1:4", 1, 2)
	again = strings.ReplaceAll(again, "-x1z", "-y1z")
	code, out, errOut := mergeLog(t, log+again)
	if code != exitPass || !strings.Contains(out, "3 runs: 3 pass") || !strings.Contains(errOut, "(pod/detsim-sweep-1-y1z/sweep) repeats shard 1/2 of stdin line") {
		t.Fatalf("a shard reported twice: exit %d\n%s%s", code, out, errOut)
	}
	// The same seeds with another outcome: two builds, or two scenarios
	// under one name. Merge cannot tell which is right.
	tampered := strings.Replace(again, `"events":`, `"events":1`, 1)
	if code, _, errOut := mergeLog(t, log+tampered); code != exitUsage || !strings.Contains(errOut, "shard 1/2 (seeds 2:4) is reported twice with different results") {
		t.Fatalf("a shard reported twice, differently: exit %d, %q", code, errOut)
	}
}

func TestMergeRefusesShardsOfDifferentSweeps(t *testing.T) {
	log := podLogs(t, "raft-leader-partition", "1:4", 2, 0) + podLogs(t, "raft-leader-partition", "1:5", 2, 1)
	if code, _, errOut := mergeLog(t, log); code != exitUsage || !strings.Contains(errOut, "shards of different sweeps") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
	if code, _, errOut := simrun(t, "merge", "-", "-"); code != exitUsage || !strings.Contains(errOut, "read only once") {
		t.Fatalf("merge - -: exit %d, %q", code, errOut)
	}
}

func TestMergeDoesNotWaitOnATerminal(t *testing.T) {
	// A terminal is a character device, as /dev/null is, which every
	// machine that runs the tests has.
	dev, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	saved := stdin
	defer func() { stdin = saved }()
	stdin = dev
	if code, _, errOut := simrun(t, "merge", "-"); code != exitUsage || !strings.Contains(errOut, "stdin, which is a terminal") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
}

// BenchmarkMergeOfPodLogs merges the logs of a 64-shard sweep, each shard's
// result behind 2,000 lines of progress, as kubectl prints them.
func BenchmarkMergeOfPodLogs(b *testing.B) {
	var log strings.Builder
	for i := 0; i < 64; i++ {
		code, l := shardLog("raft-leader-partition", "0:64", i, 64)
		if code != exitPass {
			b.Fatalf("shard %d: exit %d\n%s", i, code, l)
		}
		for j := 0; j < 2000; j++ {
			fmt.Fprintf(&log, "[pod/detsim-sweep-%d-x%dz/sweep] progress: %d/1 seeds, 97/s, 0 fail, 0 unknown\n", i, i, j)
		}
		log.WriteString(l)
	}
	in := log.String()
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reps, err := readLogReports(strings.NewReader(in), "stdin")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := mergeReports(reps); err != nil {
			b.Fatal(err)
		}
	}
}
