package builtin_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/detsim/detsim/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/hashes.txt from this build")

// TestTraceHashesAreStable pins the trace hash and verdict of a few seeds
// of every built-in scenario. A change that alters a run, on purpose or
// not, shows here first; one made on purpose is recorded with -update and
// explained in its commit.
func TestTraceHashesAreStable(t *testing.T) {
	const path = "testdata/hashes.txt"
	var got strings.Builder
	for _, name := range scenarios.Names() {
		s, _ := scenarios.Lookup(name)
		for seed := uint64(1); seed <= 3; seed++ {
			r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&got, "%s %d %s %s\n", name, seed, r.Verdict, r.TraceHash)
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./builtin -run TraceHashes -update to record)", err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 4 {
			want[fields[0]+" "+fields[1]] = fields[2] + " " + fields[3]
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(got.String()), "\n") {
		fields := strings.Fields(line)
		key, val := fields[0]+" "+fields[1], fields[2]+" "+fields[3]
		w, ok := want[key]
		switch {
		case !ok:
			t.Errorf("%s: not recorded (a new scenario? record it with -update)", key)
		case w != val:
			t.Errorf("%s: %s, recorded %s", key, val, w)
		}
	}
}
