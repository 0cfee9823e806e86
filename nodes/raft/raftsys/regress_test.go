package raftsys_test

import (
	. "github.com/detsim/detsim/scenarios"
	"os"
	"path/filepath"
	"testing"
)

// TestRegressions replays the specs in testdata/regress: runs that once
// failed for a reason that turned out to be wrong (in the checker or the
// system) and must now reach the verdict they declare.
func TestRegressions(t *testing.T) {
	paths, err := filepath.Glob("testdata/regress/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no regression specs found (%v)", err)
	}
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := DecodeSpec(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r := runOrFatal(t, spec.Scenario, spec.Seed)
		if r.Verdict != spec.Scenario.Expect.Verdict {
			t.Errorf("%s: %s, want %s", path, r.Summary(), spec.Scenario.Expect.Verdict)
		}
	}
}
