package guard

import (
	"go/parser"
	"go/token"
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

// TestTheOneAllowedFindingIsStillFound: File reports the etcd adapter's
// import of crypto/rand; only Dirs leaves it out, by name.
func TestTheOneAllowedFindingIsStillFound(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../../nodes/etcdraft/entropy.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := File(fset, f)
	if len(found) != 1 || !strings.HasPrefix(found[0].What, "imports crypto/rand") || !allowed(found[0]) {
		t.Fatalf("findings in entropy.go = %v, want exactly the allowed crypto/rand import", found)
	}
	other := Finding{Pos: token.Position{Filename: "../../nodes/etcdraft/node.go"}, What: "imports crypto/rand, which cannot be replayed"}
	if allowed(other) {
		t.Fatal("the exception reaches beyond entropy.go")
	}
}
