package nodetest

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/system"
)

// BenchmarkSuite runs every check of the suite in this process (the child
// processes are left out: a benchmark cannot run itself again by name) on
// the tally of this package's tests and on the built-in Raft.
func BenchmarkSuite(b *testing.B) {
	system.MustRegister(raftsys.System)
	for _, c := range []struct {
		name string
		sys  *system.System
	}{{"tally", tallyCorrect}, {"raft", raftsys.System}} {
		b.Run(c.name, func(b *testing.B) {
			runs := 0
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s, err := newSuite(b.Name(), c.sys, Options{InProcessOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				for _, ch := range s.checks() {
					if fails := ch.run(); len(fails) > 0 {
						b.Fatalf("%s: %v", ch.name, fails)
					}
				}
				runs += s.runs
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/suite")
			b.ReportMetric(float64(runs)/float64(b.N), "runs/suite")
			b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(runs), "ms/run")
		})
	}
}
