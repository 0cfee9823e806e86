package twopc

import (
	"strings"
	"testing"
)

func TestWorkloadCountsOutOfRangeAreNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Workload)
		want string
	}{
		{"no keys", func(w *Workload) { w.Keys = 0 }, "keys must be in [1, 100000] (is 0)"},
		{"a billion keys", func(w *Workload) { w.Keys = 1_000_000_000 }, "keys must be in [1, 100000] (is 1000000000)"},
		{"a billion operations", func(w *Workload) { w.OpsMax = 1_000_000_000 }, "ops_max (1000000000) must satisfy 1 <= ops_min <= ops_max <= 100"},
		{"a huge balance", func(w *Workload) { w.Kind, w.Balance = Bank, 1<<62 }, "balance must be in [0, 1000000000]"},
		{"a huge transfer", func(w *Workload) { w.Kind, w.TransferMax = Bank, 1<<62 }, "transfer_max in [1, 1000000000]"},
	} {
		w := DefaultWorkload()
		tc.edit(&w)
		if err := w.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	for _, edit := range []func(*Workload){
		func(w *Workload) { w.Keys = KeysMax },
		func(w *Workload) { w.OpsMin, w.OpsMax = OpsMax, OpsMax },
		func(w *Workload) { w.Kind, w.Balance, w.TransferMax = Bank, BalanceMax, BalanceMax },
	} {
		w := DefaultWorkload()
		edit(&w)
		if err := w.Validate(); err != nil {
			t.Errorf("a workload at the bounds: %v", err)
		}
	}
}
