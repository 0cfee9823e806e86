package etcdsys_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/scenarios"
)

// sideBySide are the expected-pass Raft scenarios that run against etcd
// raft as well. The Raft scenarios added since for bug-finding (Figure 7
// logs, redelivered snapshots, crash-after-vote, one entry per append,
// sparse lease reads...) use programs or configurations of nodes/raft that
// the etcd adapter does not offer.
var sideBySide = map[string]bool{
	"raft-happy": true, "raft-leader-partition": true, "raft-minority-partition": true,
	"raft-majority-partition": true, "raft-unreliable-network": true, "raft-crash-restart": true,
	"raft-crash-points": true, "raft-clock-skew-readindex": true, "raft-partial-partition-churn": true,
	"raft-partial-partition-stable": true, "raft-partial-partition-prevote": true,
	"raft-snapshot-catchup": true, "raft-membership": true, "raft-figure8": true, "raft-swarm": true,
}

// TestEveryPassingRaftScenarioHasAnEtcdTwin: each expected-pass scenario
// of the raft system has an etcd-raft twin with the same cluster,
// workload, network, nemesis, phases, checks and probes, and the same
// election settings in etcd's ticks. The one probe left out is named.
func TestEveryPassingRaftScenarioHasAnEtcdTwin(t *testing.T) {
	raw, err := raftsys.System.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	twins := 0
	for _, b := range raw {
		var rs scenarios.Scenario
		if err := json.Unmarshal(b, &rs); err != nil {
			t.Fatal(err)
		}
		if rs.Expect.Verdict != scenarios.Pass || !sideBySide[rs.Name] {
			continue
		}
		twins++
		es := lookup(t, "etcd-"+rs.Name)
		expect := rs.Expect
		if rs.Name == "raft-partial-partition-prevote" {
			// A finding: etcd raft grants pre-votes while a leader is
			// heard from unless CheckQuorum is on (see the scenario).
			expect = scenarios.Expect{Verdict: scenarios.Fail, Check: scenarios.CheckSteady}
		}
		if es.System.Kind != "etcd-raft" || es.Expect != expect {
			t.Errorf("%s: kind %q, expect %+v", es.Name, es.System.Kind, es.Expect)
		}
		probes := rs.Probes
		if rs.Name == "raft-leader-partition" {
			probes = slices.DeleteFunc(slices.Clone(probes), func(p scenarios.Probe) bool { return p == scenarios.ProbeOpTimeout })
		}
		type same struct {
			Servers, Spares, Clients int
			Workload                 string
			Network                  scenarios.Network
			Clocks                   scenarios.Clocks
			Nemesis                  scenarios.Nemesis
			Phases                   [2]scenarios.Duration
			Checks                   scenarios.Checks
			Probes                   []scenarios.Probe
		}
		want := same{rs.Servers, rs.Spares, rs.Clients, string(rs.Workload), rs.Network, rs.Clocks, rs.Nemesis, [2]scenarios.Duration{rs.FaultPhase, rs.HealPhase}, rs.Checks, probes}
		got := same{es.Servers, es.Spares, es.Clients, string(es.Workload), es.Network, es.Clocks, es.Nemesis, [2]scenarios.Duration{es.FaultPhase, es.HealPhase}, es.Checks, es.Probes}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s differs from %s (-raft +etcd):\n%s", es.Name, rs.Name, d)
		}
		rc, ec := raft.DefaultConfig(), etcdraft.DefaultConfig()
		if err := json.Unmarshal(rs.System.Config, &rc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(es.System.Config, &ec); err != nil {
			t.Fatal(err)
		}
		tick := ec.TickInterval
		if rc.PreVote != ec.PreVote || rc.CheckQuorum != ec.CheckQuorum ||
			rc.ElectionTimeoutMin != tick*time.Duration(ec.ElectionTicks) || rc.ElectionTimeoutMax != 2*tick*time.Duration(ec.ElectionTicks) ||
			rc.HeartbeatInterval != tick*time.Duration(ec.HeartbeatTicks) ||
			rc.SnapshotEntries != ec.SnapshotEntries || rc.SnapshotTrailing != ec.SnapshotTrailing {
			t.Errorf("%s: configuration %+v does not match %s's %+v", es.Name, ec, rs.Name, rc)
		}
	}
	if twins != len(sideBySide) {
		t.Errorf("%d of the %d side-by-side scenarios found", twins, len(sideBySide))
	}
	if twins < 13 {
		t.Fatalf("only %d expected-pass raft scenarios", twins)
	}
}
