package determinism_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/detsim/detsim/vet/determinism"
)

// TestPlantedViolationsAreReportedAndCleanCodeIsNot: every planted
// violation carries a "want" comment with its report, one package per rule,
// and the clean idioms beside them, and package clean (a node written to
// the contract), have none: analysistest fails on a missing report and on
// an unexpected one. (crypto/rand, whose dependencies take seconds to
// type-check from source, is planted in cmd/detsimvet's test.)
func TestPlantedViolationsAreReportedAndCleanCodeIsNot(t *testing.T) {
	results := analysistest.Run(t, analysistest.TestData(), determinism.Analyzer,
		"wallclock", "goroutine", "channel", "randsource", "mathfuncs", "maporder", "annotation", "clean")
	reported := map[string]int{}
	for _, r := range results {
		reported[r.Pass.Pkg.Path()] += len(r.Diagnostics)
	}
	if reported["clean"] != 0 || reported["wallclock"] == 0 {
		t.Errorf("reports per package: %v; want none in clean", reported)
	}
}

// TestFusedProductsAreRoundedByTheSuggestedFix checks the reports and that
// applying their fixes gives fma.go.golden, where every product that meets
// an addition is wrapped in a conversion to its own type.
func TestFusedProductsAreRoundedByTheSuggestedFix(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), determinism.Analyzer, "fma")
}
