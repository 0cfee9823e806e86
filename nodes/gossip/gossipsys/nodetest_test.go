package gossipsys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/gossip/gossipsys"
	"github.com/detsim/detsim/nodetest"
)

// TestGossipPassesNodetest holds the example node to the conformance
// suite every node package runs.
func TestGossipPassesNodetest(t *testing.T) {
	nodetest.Run(t, gossipsys.System, nodetest.Options{})
}
