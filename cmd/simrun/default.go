package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// defaultScenarios are the demo: healthy runs under faults, and runs that
// must find a bug (a planted one, and the lease reads that clocks break).
var defaultScenarios = []string{
	"raft-happy",
	"raft-leader-partition",
	"raft-crash-restart",
	"raft-swarm",
	"raft-bug-stale-reads",
	"raft-clock-skew-lease",
	"gossip-example",
}

// cmdDefault runs the demo and prints a table. It exits 0 when every
// scenario reached the verdict it expects (the bug-finding ones must fail).
func cmdDefault(stdout, stderr io.Writer) int {
	const seed = 1
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tVERDICT\tEXPECTED\tSEED\tVIRTUAL\tWALL\tOPS\tTRACE HASH")
	code := exitPass
	var failures []*scenarios.Result
	for _, name := range defaultScenarios {
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
		fmt.Fprintf(stdout, "\n%s found: %s\n  see it: simrun run %s -seed %d -out DIR\n", r.Scenario, oneLine(r.Reasons[0].String()), r.Scenario, r.Seed)
	}
	return code
}
