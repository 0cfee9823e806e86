package guard

import (
	"strings"
	"testing"
)

// TestSimulatedCodeKeepsTheContract is the guard itself: it fails the build
// when a simulated package breaks the determinism contract.
func TestSimulatedCodeKeepsTheContract(t *testing.T) {
	findings, err := Dirs("../../sim", "../../net", "../../nodes", "../detmath", "../chaos")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("determinism contract: %s", f)
	}
}

// TestGuardFindsPlantedViolations proves the guard can fail: every planted
// violation is found, and the comment, string and allowed calls are not.
func TestGuardFindsPlantedViolations(t *testing.T) {
	// Dirs skips testdata folders by design, so parse the planted file here.
	findings, err := parseDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.What)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"imports crypto/rand", "imports math/rand,", "time.Now reads the wall clock", "time.Sleep sleeps",
		"time.After uses a wall-clock timer", "receives from a channel", "starts a goroutine", "uses a channel type",
		"sends on a channel", "uses select", "rand.IntN uses the global random source", "math.Exp differs",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("planted violation %q not found; findings:\n%s", want, all)
		}
	}
	if len(findings) != 12 {
		t.Errorf("found %d violations, want exactly the 12 planted:\n%s", len(findings), all)
	}
}
