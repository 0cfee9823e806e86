package raftsys_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

// TestReplicasEqualAgreesWithTheStatesAfterEveryEvent: the instance's
// ReplicasEqual answers a sample from its last comparison when no member
// applied an entry or installed a snapshot since; held to the states
// Replicas builds after every event of runs that crash servers, install
// snapshots (old ones too, with the planted bug) on a lossy network, it
// never disagrees.
func TestReplicasEqualAgreesWithTheStatesAfterEveryEvent(t *testing.T) {
	for _, name := range []string{"lab-3d-snapshot-install-crash", "lab-3d-snapshot-install-unreliable", "raft-bug-install-old-snapshot"} {
		s := lookup(t, name)
		for seed := uint64(1); seed <= 1; seed++ {
			res, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1, CompareReplicasEvery: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Reasons {
				if strings.Contains(r.Message, "ReplicasEqual says") {
					t.Fatalf("%s seed %d: %s", name, seed, r.Message)
				}
			}
			if c := res.ReplicaComparisons; c.Equal == 0 || c.Unequal == 0 {
				t.Fatalf("%s seed %d: %d equal and %d unequal comparisons; both kinds are wanted", name, seed, c.Equal, c.Unequal)
			}
		}
	}
}
