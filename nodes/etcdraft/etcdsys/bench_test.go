package etcdsys_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkSweepWorkers runs seeds of a short happy-path scenario on one
// and on two goroutines, for etcd raft and for nodes/raft, and reports
// runs/s. etcd raft's worlds share the lock that guards
// crypto/rand.Reader around the calls into etcd raft that can draw, so
// they take turns there.
func BenchmarkSweepWorkers(b *testing.B) {
	for _, name := range []string{"raft-happy", "etcd-raft-happy"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				s := lookup(b, name)
				s.FaultPhase, s.HealPhase = scenarios.Duration(2*time.Second), scenarios.Duration(time.Second)
				var next atomic.Uint64
				var wg sync.WaitGroup
				start := time.Now()
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for seed := next.Add(1); seed <= uint64(b.N); seed = next.Add(1) {
							if r := run(b, s, seed); r.Verdict != scenarios.Pass {
								b.Errorf("seed %d: %s", seed, r.Summary())
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
			})
		}
	}
}
