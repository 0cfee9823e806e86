package simrun

import (
	"os"
	"testing"

	"github.com/detsim/detsim/builtin"
)

// TestMain gives the commands the built-in systems and demo, as
// cmd/simrun's main does.
func TestMain(m *testing.M) {
	builtin.Register()
	demo = builtin.Demo()
	os.Exit(m.Run())
}
