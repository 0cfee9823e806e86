package raftsys_test

import (
	. "github.com/detsim/detsim/scenarios"
	"testing"
)

func TestShrinkMakesAFailingSpecSmallerAndItStillFails(t *testing.T) {
	s := lookup(t, "raft-bug-stale-reads")
	r := runOrFatal(t, s, 1)
	if r.Verdict != Fail {
		t.Fatalf("the starting spec must fail: %s", r.Summary())
	}
	res, err := Shrink(NewSpec(s, 1, r), ShrinkOptions{MaxRuns: 300})
	if err != nil {
		t.Fatal(err)
	}
	if res.After.Faults >= res.Before.Faults || res.After.Ops >= res.Before.Ops {
		t.Fatalf("shrink did not shrink: before %v, after %v", res.Before, res.After)
	}
	again := runOrFatal(t, res.Spec.Scenario, res.Spec.Seed)
	if again.Verdict != Fail || again.Reasons[0].Check != res.Check || again.TraceHash != res.Spec.TraceHash {
		t.Fatalf("the shrunk spec does not fail the same way when run again: %s (hash %s, spec %s)", again.Summary(), again.TraceHash, res.Spec.TraceHash)
	}
	t.Logf("%d runs: %v -> %v", res.Runs, res.Before, res.After)

	pass := lookup(t, "raft-happy")
	if _, err := Shrink(NewSpec(pass, 1, nil), ShrinkOptions{}); err == nil {
		t.Fatal("shrinking a passing spec did not fail")
	}
}
