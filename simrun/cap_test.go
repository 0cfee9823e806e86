package simrun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/capmeter"
	"github.com/detsim/detsim/scenarios"
)

const smallCapSuite = `{
  "seeds": 2, "rate": 50, "partition_at": "1s", "partition_for": "2s", "heal_for": "2s",
  "partitions": [{"name": "leader-isolated", "topology": "isolate", "target": "leader"}],
  "systems": [{"label": "raft", "base": "raft-clock-skew-readindex"},
              {"label": "dynamo-one", "base": "dynamo-partition-strict", "config": {"r": 1, "w": 1}, "lost_writes_counter": "lost-writes"}]
}`

func TestCapPrintsTheTableAndWritesThePageAndTheFailingSeeds(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(suite, []byte(smallCapSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := simrun(t, "cap", "-suite", suite, "-j", "2", "-json", filepath.Join(dir, "cap.json"), "-out", out)
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"raft", "dynamo-one", "leader-isolated", "avail minor", "rate: 50 operations/s per client", "converge p50/max", "page: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "cap.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table capmeter.Table
	if err := json.Unmarshal(b, &table); err != nil || len(table.Rows) != 2 || table.Seeds != 2 || table.Rate != 50 {
		t.Fatalf("cap.json: %v, %d rows of %d seeds at %v/s; want 2 rows of 2 at 50/s", err, len(table.Rows), table.Seeds, table.Rate)
	}
	// Raft's replicas converge once the clients stop, before the end.
	if raft := table.Rows[0]; raft.ConvergeNever != 0 || raft.ConvergeMax <= 0 || raft.ConvergeMax > raft.ConvergeP50+scenarios.Duration(time.Second) {
		t.Errorf("raft's time to converge: p50 %v, max %v, never %d; want every seed converged", raft.ConvergeP50, raft.ConvergeMax, raft.ConvergeNever)
	}
	page, err := os.ReadFile(filepath.Join(out, "cap.html"))
	if err != nil {
		t.Fatal(err)
	}
	// Raft's isolated leader serves nothing, so its row has a failing seed
	// whose spec replays.
	raft := table.Rows[0]
	if raft.FailingSeed == 0 {
		t.Fatalf("raft's row names no failing seed: %+v", raft)
	}
	spec := filepath.Join(out, raft.Scenario+"-seed"+strconv.FormatUint(raft.FailingSeed, 10), specFile)
	if !strings.Contains(string(page), "simrun replay "+spec) {
		t.Errorf("the page does not give the replay command of %s", spec)
	}
	if code, stdout, stderr := simrun(t, "replay", spec); code != exitPass || !strings.Contains(stdout, "matches the spec") {
		t.Errorf("replay %s: exit %d\n%s%s", spec, code, stdout, stderr)
	}
	// The same seeds print the same table.
	_, again, _ := simrun(t, "cap", "-suite", suite, "-j", "1")
	if first := stdout[:strings.Index(stdout, "page: ")]; again != first {
		t.Errorf("a second run printed another table:\n%s\n----\n%s", first, again)
	}
}

func TestCapRejectsBadInputWithTheProblemNamed(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"seeds": 1, "partitions": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cap", "-seeds", "-1"}, "-seeds"},
		{[]string{"cap", "-rate", "-1"}, "-rate"},
		{[]string{"cap", "-rate", "NaN"}, "-rate"},
		{[]string{"cap", "-rate", "2e6"}, "-rate"},
		{[]string{"cap", "-j", "0"}, "-j"},
		{[]string{"cap", "extra"}, "positional"},
		{[]string{"cap", "-suite", bad}, "bad.json"},
		{[]string{"cap", "-suite", filepath.Join(dir, "missing.json")}, "missing.json"},
	} {
		code, _, stderr := simrun(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d naming %s", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// BenchmarkCapDefault runs the full default suite: the wall time of
// `simrun cap`.
func BenchmarkCapDefault(b *testing.B) {
	suite := capmeter.Default()
	runs := len(suite.Systems) * len(suite.Partitions) * suite.Seeds
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := capmeter.Run(suite, 2); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/suite")
	}
	b.ReportMetric(float64(runs*b.N)/b.Elapsed().Seconds(), "runs/s")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(runs*b.N), "ms/run")
}

func TestCapRateSetsEverySystemsWorkloadRate(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(suite, []byte(smallCapSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := simrun(t, "cap", "-suite", suite, "-seeds", "1", "-rate", "10", "-json", "-")
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var table capmeter.Table
	if err := json.Unmarshal([]byte(stdout), &table); err != nil || table.Rate != 10 {
		t.Fatalf("-rate 10 gave a table at %v/s (%v)", table.Rate, err)
	}
}
