package dynamo

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

func TestWorkloadCountsOutOfRangeAreNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Workload)
		want string
	}{
		{"a billion set keys", func(w *Workload) { w.SetKeys = 1_000_000_000 }, "set_keys (1000000000) and register_keys (2) must hold at most 100000 keys together"},
		{"a billion register keys", func(w *Workload) { w.RegisterKeys = 1_000_000_000 }, "must hold at most 100000 keys together"},
		{"keys whose sum overflows", func(w *Workload) { w.SetKeys, w.RegisterKeys = 1<<62, 1<<62 }, "must hold at most 100000 keys together"},
		{"too many together", func(w *Workload) { w.SetKeys, w.RegisterKeys = KeysMax, 1 }, "must hold at most 100000 keys together"},
		{"a weight past the bound", func(w *Workload) { w.Mix.Add = client.MixWeightMax + 1 }, "mix: weights must be at most 1000000"},
		{"weights whose sum overflows", func(w *Workload) { w.Mix.Add, w.Mix.Read = 1<<62, 1<<62 }, "mix: weights must be at most"},
	} {
		w := validWorkload()
		tc.edit(&w)
		if err := w.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	w := validWorkload()
	w.SetKeys, w.RegisterKeys = KeysMax-1, 1
	if err := w.Validate(); err != nil {
		t.Errorf("a workload at the bound: %v", err)
	}
}

// validWorkload is the default workload of a client the system has named.
func validWorkload() Workload {
	w := DefaultWorkload()
	w.Client.ID, w.Client.Servers = 1, []sim.HostID{0}
	return w
}
