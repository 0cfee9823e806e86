package cachesys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/cache/cachesys"
	"github.com/detsim/detsim/nodetest"
)

// TestCachePassesNodetest holds the system to the conformance suite every
// node package runs.
func TestCachePassesNodetest(t *testing.T) {
	nodetest.Run(t, cachesys.System, nodetest.Options{})
}
