package badbuiltin

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

type idle struct{}

func (idle) Start(sim.Env)           {}
func (idle) Receive(sim.HostID, any) {}
func (idle) Timer(sim.TimerID, any)  {}

const good = `{"name": "%s", "system": {"kind": "shelf"}, "servers": 3, "fault_phase": "1s", "heal_phase": "1s", "checks": {"invariants": true}, "expect": {"verdict": "pass"}}`

// TestABadBuiltinIsReportedAndTheOthersStillLoad: a scenario that does not
// validate is left out with its reason, which Lookup gives for it; the
// system's scenarios before and after it still load.
func TestABadBuiltinIsReportedAndTheOthersStillLoad(t *testing.T) {
	shelf := system.MustDefine(system.Spec[struct{}, struct{}]{
		Name:     "shelf",
		Config:   func() struct{} { return struct{}{} },
		Workload: func() struct{} { return struct{}{} },
		Build: func(_ struct{}, _ struct{}, c *system.Cluster) (*system.Instance, error) {
			for _, id := range c.ServerIDs() {
				if _, err := c.AddServer(c.Peers(id), func() sim.Node { return idle{} }); err != nil {
					return nil, err
				}
			}
			return &system.Instance{Members: c.Members, Invariant: func() error { return nil }}, nil
		},
		Promises: system.Promises{Invariants: true},
		Scenarios: fstest.MapFS{
			"shelf-a.json": {Data: []byte(strings.Replace(good, "%s", "shelf-a", 1))},
			"shelf-b.json": {Data: []byte(`{"name": "shelf-b", "system": {"kind": "shelf"}, "servers": 0}`)},
			"shelf-c.json": {Data: []byte(strings.Replace(good, "%s", "shelf-c", 1))},
		},
	})
	if err := system.Register(shelf); err != nil {
		t.Fatal(err)
	}
	err := scenarios.Builtins()
	if err == nil || !strings.Contains(err.Error(), `"shelf-b"`) {
		t.Fatalf("Builtins: %v, want the error of shelf-b", err)
	}
	for _, name := range []string{"shelf-a", "shelf-c"} {
		if _, err := scenarios.Lookup(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := scenarios.Lookup("shelf-b"); err == nil || !strings.Contains(err.Error(), "loaded") || !strings.Contains(err.Error(), `"shelf-b"`) {
		t.Fatalf("Lookup(shelf-b): %v, want why it did not load", err)
	}
}
