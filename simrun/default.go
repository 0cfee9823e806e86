package simrun

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// demo names the scenarios the bare command runs; empty means every
// built-in scenario.
var demo []string

func demoScenarios() []string {
	if len(demo) > 0 {
		return demo
	}
	return scenarios.Names()
}

// cmdDefault runs the demo and prints a table. It exits 0 when every
// scenario reached the verdict it expects (the bug-finding ones must fail).
func cmdDefault(stdout, stderr io.Writer) int {
	const seed = 1
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tVERDICT\tEXPECTED\tSEED\tVIRTUAL\tWALL\tOPS\tTRACE HASH")
	code := exitPass
	var failures []*scenarios.Result
	for _, name := range demoScenarios() {
		s, err := scenarios.Lookup(name)
		if err != nil {
			return fail(stderr, "", err)
		}
		r, err := scenarios.Run(s, seed, scenarios.Options{})
		if err != nil {
			return fail(stderr, "", err)
		}
		expected := "yes"
		if !r.Expected {
			expected = "NO"
			code = exitFail
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%v\t%v\t%d\t%s\n", name, r.Verdict, expected, seed, r.Virtual, time.Duration(r.Wall).Round(100*time.Microsecond), r.Ops.OK, r.TraceHash)
		if r.Verdict == scenarios.Fail {
			failures = append(failures, r)
		}
	}
	tw.Flush()
	for _, r := range failures {
		fmt.Fprintf(stdout, "\n%s found: %s\n  see it: %s run %s -seed %d -out DIR\n", r.Scenario, oneLine(r.Reasons[0].String()), self, r.Scenario, r.Seed)
	}
	return code
}
