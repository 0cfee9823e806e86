package determinism_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/detsim/detsim/vet/determinism"
)

// TestEachRuleFindsItsPlantedViolations: every planted violation carries a
// "want" comment with its report, and every clean idiom beside it has none;
// analysistest fails on a missing report and on an unexpected one.
func TestEachRuleFindsItsPlantedViolations(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), determinism.Analyzer,
		"wallclock", "goroutine", "channel", "randsource", "mathfuncs", "maporder", "annotation")
}

// TestFusedProductsAreRoundedByTheSuggestedFix checks the reports and that
// applying their fixes gives fma.go.golden, where every product that meets
// an addition is wrapped in a conversion to its own type.
func TestFusedProductsAreRoundedByTheSuggestedFix(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), determinism.Analyzer, "fma")
}

// TestANodeWrittenToTheContractGivesNoReport: a realistic node, with the
// idioms the contract asks for, is clean.
func TestANodeWrittenToTheContractGivesNoReport(t *testing.T) {
	results := analysistest.Run(t, analysistest.TestData(), determinism.Analyzer, "clean")
	for _, r := range results {
		if len(r.Diagnostics) != 0 {
			t.Errorf("%d reports on clean code", len(r.Diagnostics))
		}
	}
}
