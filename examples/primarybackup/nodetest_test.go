package primarybackup_test

import (
	"testing"

	"github.com/detsim/detsim/examples/primarybackup"
	"github.com/detsim/detsim/nodetest"
)

// TestRegisterPassesNodetest is the one call a system from outside puts
// in its tests.
func TestRegisterPassesNodetest(t *testing.T) {
	nodetest.Run(t, primarybackup.System, nodetest.Options{})
}
