package raftsys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/nodetest"
)

// TestRaftPassesNodetest holds Raft to the conformance suite every node
// package runs.
func TestRaftPassesNodetest(t *testing.T) {
	nodetest.Run(t, raftsys.System, nodetest.Options{})
}
