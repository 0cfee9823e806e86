package etcdsys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/nodetest"
)

// TestEtcdRaftPassesNodetest holds the system to the conformance suite every
// node package runs.
func TestEtcdRaftPassesNodetest(t *testing.T) {
	nodetest.Run(t, etcdsys.System, nodetest.Options{})
}
