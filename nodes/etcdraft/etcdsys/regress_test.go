package etcdsys_test

import (
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestRegressionSwarmSeed1039: n1 campaigns for term 4 and is paused with
// its votes on the way; n4 wins term 5 and commits up to index 365; n1
// resumes, counts its held votes and leads term 4 with a log that ends at
// 354. That is Raft working as specified (the entries were committed in
// term 5, after n1's term), and the leader completeness check once called
// it a violation. It must pass.
func TestRegressionSwarmSeed1039(t *testing.T) {
	if r := run(t, lookup(t, "etcd-raft-swarm"), 1039); r.Verdict != scenarios.Pass {
		t.Fatalf("%s", r.Summary())
	}
}

// TestRegressionSwarmSeed89: a bridge partition leaves the leader n3 a
// majority through n2 alone; n2 crashes, n3 steps down by CheckQuorum, and
// a new leader follows the heal. The quiet tracker had judged the
// partition harmless when it struck and kept the window open through the
// crash, so the steadiness check called the new leader a needless
// deposition. The same schedule is raft-swarm's seed 89
// (nodes/raft/raftsys/testdata/regress/bridge-crashed.json). It must pass.
func TestRegressionSwarmSeed89(t *testing.T) {
	if r := run(t, lookup(t, "etcd-raft-swarm"), 89); r.Verdict != scenarios.Pass {
		t.Fatalf("%s", r.Summary())
	}
}
