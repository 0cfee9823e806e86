package etcdsys_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/scenarios"
)

// behaviour is what one system did over a set of seeds of one scenario.
type behaviour struct {
	runs, passed     int
	leaderChanges    int
	virtual          time.Duration
	p50, p99         time.Duration // means over the seeds
	invoked, ok      int
	unknown, refused int
}

func (b behaviour) changesPerMinute() float64 {
	return float64(b.leaderChanges) / b.virtual.Minutes()
}

func (b behaviour) availability() float64 { return float64(b.ok) / float64(max(b.invoked, 1)) }

func measure(t *testing.T, s scenarios.Scenario, seeds int) behaviour {
	var b behaviour
	for seed := range seeds {
		r := run(t, s, uint64(seed))
		b.runs++
		if r.Verdict == scenarios.Pass {
			b.passed++
		}
		b.leaderChanges += r.Counter("leader-change")
		b.virtual += r.Virtual.D()
		b.p50 += r.Latency.P50.D() / time.Duration(seeds)
		b.p99 += r.Latency.P99.D() / time.Duration(seeds)
		b.invoked += r.Ops.Invoked
		b.ok += r.Ops.OK
		b.unknown += r.Ops.Unknown
		b.refused += r.Ops.Failed
	}
	return b
}

// withElectionGuards returns s with PreVote and CheckQuorum set, for
// either system.
func withElectionGuards(t *testing.T, s scenarios.Scenario, preVote, checkQuorum bool) scenarios.Scenario {
	switch s.System.Kind {
	case "raft":
		cfg := raft.DefaultConfig()
		if err := json.Unmarshal(s.System.Config, &cfg); err != nil {
			t.Fatal(err)
		}
		cfg.PreVote, cfg.CheckQuorum = preVote, checkQuorum
		s.System = scenarios.SystemOf("raft", cfg)
	case "etcd-raft":
		cfg := etcdraft.DefaultConfig()
		if err := json.Unmarshal(s.System.Config, &cfg); err != nil {
			t.Fatal(err)
		}
		cfg.PreVote, cfg.CheckQuorum = preVote, checkQuorum
		s.System = scenarios.SystemOf("etcd-raft", cfg)
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// TestBehaviourSideBySide runs nodes/raft and etcd raft on the same seeds
// of the same scenarios and compares leader changes, latency and
// availability. Under the partial partition (one server cut off from the
// leader only), both must churn leadership without PreVote and
// CheckQuorum and hold it with both. DETSIM_COMPARE_SEEDS=N runs N seeds
// and logs the table of docs/ETCD-RAFT.md.
func TestBehaviourSideBySide(t *testing.T) {
	seeds := 3
	if v := os.Getenv("DETSIM_COMPARE_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DETSIM_COMPARE_SEEDS=%q is not a positive count", v)
		}
		seeds = n
	}
	type row struct {
		scenario, label string
		pv, cq          bool
		guards          bool // set PreVote and CheckQuorum from pv, cq
	}
	rows := []row{
		{scenario: "happy"}, {scenario: "leader-partition"}, {scenario: "crash-restart"}, {scenario: "unreliable-network"},
	}
	for _, g := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		rows = append(rows, row{scenario: "partial-partition-stable", label: fmt.Sprintf("partial partition, PreVote %s, CheckQuorum %s", onOff(g[0]), onOff(g[1])), pv: g[0], cq: g[1], guards: true})
	}
	var table strings.Builder
	fmt.Fprintf(&table, "seeds 0-%d of each scenario, the same seeds for both systems\n\n", seeds-1)
	table.WriteString("| scenario | system | passed | leader changes / virtual min | p50 | p99 | ok / invoked | unknown |\n")
	table.WriteString("|---|---|---|---|---|---|---|---|\n")
	churn := map[string][2]float64{} // system -> changes/min without, with both guards
	for _, rw := range rows {
		label := rw.label
		if label == "" {
			label = rw.scenario
		}
		for _, sys := range []string{"raft", "etcd-raft"} {
			name := "raft-" + rw.scenario
			if sys == "etcd-raft" {
				name = "etcd-" + name
			}
			s := lookup(t, name)
			if rw.guards {
				s = withElectionGuards(t, s, rw.pv, rw.cq)
			}
			b := measure(t, s, seeds)
			fmt.Fprintf(&table, "| %s | %s | %d/%d | %.1f | %v | %v | %.3f | %d |\n", label, sys, b.passed, b.runs,
				b.changesPerMinute(), b.p50.Round(100*time.Microsecond), b.p99.Round(100*time.Microsecond), b.availability(), b.unknown)
			if rw.guards && rw.pv == rw.cq {
				c := churn[sys]
				if rw.pv {
					c[1] = b.changesPerMinute()
				} else {
					c[0] = b.changesPerMinute()
				}
				churn[sys] = c
			}
		}
	}
	t.Log("\n" + table.String())
	for sys, c := range churn {
		if c[0] < 10 || c[1]*5 > c[0] {
			t.Errorf("%s under the partial partition: %.1f leader changes a minute without PreVote and CheckQuorum, %.1f with; want heavy churn only without", sys, c[0], c[1])
		}
	}
}
