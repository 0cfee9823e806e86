package raft_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/raft"
)

// BenchmarkCluster runs a 5-server cluster for 10 s of virtual time with 3
// clients on the unreliable network, safety checks after every event, and
// checks the history for linearizability. One iteration is one run.
func BenchmarkCluster(b *testing.B) {
	const virtual = 10 * time.Second
	var events, completed, committed uint64
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	cpu0 := cpuTime(b)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c := newCluster(b, opts{seed: uint64(i + 1), servers: 5, clients: 3, cfg: raft.DefaultConfig(), link: unreliable()})
		c.run(virtual)
		res := checker.Check(checker.KVModel(), c.hist, checker.CheckOptions{Timeout: 10 * time.Second, Workers: 1})
		if res.Verdict != checker.Ok {
			b.Fatalf("seed %d: %v", i+1, res.Verdict)
		}
		events += c.w.Events()
		completed += uint64(c.completed())
		committed += c.safety.AppliedIndex()
	}
	wall := time.Since(start)
	cpu := cpuTime(b) - cpu0
	runtime.ReadMemStats(&mem1)
	n := float64(b.N)
	b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/float64(events), "allocs/event")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/run")
	b.ReportMetric(virtual.Seconds()*n/cpu.Seconds(), "virtual/cpu")
	b.ReportMetric(float64(wall.Milliseconds())/n, "wall-ms/run")
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(completed)/n/virtual.Seconds(), "ops/vs")
	b.ReportMetric(float64(committed)/n/virtual.Seconds(), "entries/vs")
	b.ReportMetric(virtual.Seconds()*n/wall.Seconds(), "virtual/wall")
}

// cpuTime is the CPU time the process has used, every thread included (the
// collector's too). On a loaded machine it moves far less than wall time.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
