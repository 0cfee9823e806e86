package twopcsys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/2pc/twopcsys"
	"github.com/detsim/detsim/nodetest"
)

// TestTwoPCPassesNodetest holds the system to the conformance suite every
// node package runs.
func TestTwoPCPassesNodetest(t *testing.T) {
	nodetest.Run(t, twopcsys.System, nodetest.Options{})
}
