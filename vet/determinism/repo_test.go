package determinism_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/detsim/detsim/vet/determinism"
)

// harness are the directories of this module whose code runs outside any
// world, so the contract does not bind it. Every other package is
// simulated code, so that a package added later is checked unless someone
// decides, here and with a reason, that it is harness.
var harness = map[string]string{
	"cmd":                "command-line mains: they run sweeps on many cores and time them",
	"checker":            "judges histories after a run, bounding porcupine with a wall-clock timeout",
	"internal/report":    "draws the failure page after a run",
	"simrun":             "the command line as a library: sweeps on many cores, timed",
	"capmeter":           "reads the results of finished runs, which it runs on many cores",
	"internal/crossarch": "builds the simulator for other architectures and runs it under qemu",
	"internal/mutants":   "rewrites the source and runs go test on the copies, timed",
	"vet":                "the analyzer itself",
}

// mustBeSimulated are checked whatever the walk finds, so that a mistake in
// the selection cannot make this test pass vacuously. scenarios counts as
// simulated: the nemesis, the generator that draws faults from the seed,
// the probes and the system builders all run inside the world; its runner
// times the whole run on the wall clock, and says so in two reviewed
// annotations.
var mustBeSimulated = []string{"sim", "net", "nodes/raft", "nodes/client", "nodes/gossip", "scenarios", "internal/detmath", "internal/chaos"}

// TestSimulatedPackagesKeepTheContract runs the analyzer over every
// simulated package of this module and fails on any report.
func TestSimulatedPackagesKeepTheContract(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the whole module")
	}
	root, dirs, pkgs := loadSimulated(t)
	graph, err := checker.Analyze([]*analysis.Analyzer{determinism.Analyzer}, pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range graph.Roots {
		if act.Err != nil {
			t.Errorf("%s: %v", act.Package.PkgPath, act.Err)
		}
		for _, d := range act.Diagnostics {
			pos := act.Package.Fset.Position(d.Pos)
			rel, _ := filepath.Rel(root, pos.Filename)
			t.Errorf("%s:%d:%d: %s", rel, pos.Line, pos.Column, d.Message)
		}
	}
	t.Logf("checked %d packages: %s", len(pkgs), strings.Join(dirs, " "))
}

// BenchmarkAnalyzeSimulatedPackages measures the analyzer alone over the
// simulated packages, loaded and type-checked once.
func BenchmarkAnalyzeSimulatedPackages(b *testing.B) {
	_, _, pkgs := loadSimulated(b)
	files := 0
	for _, p := range pkgs {
		files += len(p.Syntax)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := checker.Analyze([]*analysis.Analyzer{determinism.Analyzer}, pkgs, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
	b.ReportMetric(float64(len(pkgs)), "packages")
	b.ReportMetric(float64(files), "files")
}

// loadSimulated finds the simulated packages and loads them with syntax
// and types.
func loadSimulated(t testing.TB) (root string, dirs []string, pkgs []*packages.Package) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err = simulatedDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range mustBeSimulated {
		if !slices.Contains(dirs, d) {
			t.Fatalf("%s is not among the simulated packages found: %v", d, dirs)
		}
	}
	patterns := make([]string, len(dirs))
	for i, d := range dirs {
		patterns[i] = "./" + d
	}
	cfg := &packages.Config{Mode: packages.LoadSyntax, Dir: root}
	pkgs, err = packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		t.Fatalf("%d errors loading the simulated packages", n)
	}
	return root, dirs, pkgs
}

// simulatedDirs walks the module for directories with non-test Go files,
// less testdata and the harness, as slash paths relative to root.
func simulatedDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if _, isHarness := harness[rel]; isHarness || d.Name() == "testdata" || (rel != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			if dir := filepath.ToSlash(filepath.Dir(rel)); !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	return dirs, err
}
