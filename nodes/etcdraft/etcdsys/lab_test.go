package etcdsys_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/nodes/raft"
	"github.com/detsim/detsim/scenarios"
)

// TestEveryLabTwinRunsTheRaftScenariosScript: each lab-etcd-* scenario is
// its raft lab-* scenario (docs/LAB.md) with the system swapped: the same
// cluster, workload, network, script, phases, checks and expectation,
// and the same election and snapshot settings in etcd's ticks.
func TestEveryLabTwinRunsTheRaftScenariosScript(t *testing.T) {
	raw, err := etcdsys.System.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	twins := 0
	for _, b := range raw {
		var es scenarios.Scenario
		if err := json.Unmarshal(b, &es); err != nil {
			t.Fatal(err)
		}
		name, ok := strings.CutPrefix(es.Name, "lab-etcd-")
		if !ok {
			continue
		}
		twins++
		es = lookup(t, es.Name) // with its defaults filled in, as the raft one
		rs := lookup(t, "lab-"+name)
		type same struct {
			Servers, Clients int
			Workload         string
			Network          scenarios.Network
			Nemesis          scenarios.Nemesis
			Phases           [2]scenarios.Duration
			Checks           scenarios.Checks
			Expect           scenarios.Expect
		}
		want := same{rs.Servers, rs.Clients, string(rs.Workload), rs.Network, rs.Nemesis, [2]scenarios.Duration{rs.FaultPhase, rs.HealPhase}, rs.Checks, rs.Expect}
		got := same{es.Servers, es.Clients, string(es.Workload), es.Network, es.Nemesis, [2]scenarios.Duration{es.FaultPhase, es.HealPhase}, es.Checks, es.Expect}
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
		if rc.ElectionTimeoutMin != tick*time.Duration(ec.ElectionTicks) || rc.ElectionTimeoutMax != 2*tick*time.Duration(ec.ElectionTicks) ||
			rc.HeartbeatInterval != tick*time.Duration(ec.HeartbeatTicks) ||
			rc.SnapshotEntries != ec.SnapshotEntries || rc.SnapshotTrailing != ec.SnapshotTrailing {
			t.Errorf("%s: configuration %+v does not match %s's %+v", es.Name, ec, rs.Name, rc)
		}
	}
	if twins != 18 {
		t.Fatalf("%d lab twins, want the 18 docs/LAB.md names", twins)
	}
}
