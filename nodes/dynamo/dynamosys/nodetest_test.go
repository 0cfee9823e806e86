package dynamosys_test

import (
	"testing"

	"github.com/detsim/detsim/nodes/dynamo/dynamosys"
	"github.com/detsim/detsim/nodetest"
)

// TestDynamoPassesNodetest holds the system to the conformance suite every
// node package runs.
func TestDynamoPassesNodetest(t *testing.T) {
	nodetest.Run(t, dynamosys.System, nodetest.Options{})
}
