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

// BenchmarkGrowth measures how the cost of a run under faults grows with
// the cluster's size, the number of clients and the length of the run (so
// of the history), one parameter at a time from the BenchmarkCluster run.
// Costs are CPU time per virtual second, with the linearizability check's
// share apart.
func BenchmarkGrowth(b *testing.B) {
	base := opts{servers: 5, clients: 3, cfg: raft.DefaultConfig(), link: unreliable()}
	for _, servers := range []int{3, 5, 9, 15, 31} {
		o := base
		o.servers = servers
		b.Run("servers="+itoa(servers), func(b *testing.B) { benchGrowth(b, o, 10*time.Second) })
	}
	for _, clients := range []int{1, 3, 10, 30} {
		o := base
		o.clients = clients
		b.Run("clients="+itoa(clients), func(b *testing.B) { benchGrowth(b, o, 10*time.Second) })
	}
	for _, virtual := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second} {
		b.Run("virtual="+virtual.String(), func(b *testing.B) { benchGrowth(b, base, virtual) })
	}
}

func benchGrowth(b *testing.B, o opts, virtual time.Duration) {
	var events, ops uint64
	var runCPU, checkCPU time.Duration
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	for i := 0; i < b.N; i++ {
		o.seed = uint64(i + 1)
		cpu0 := cpuTime(b)
		c := newCluster(b, o)
		c.run(virtual)
		cpu1 := cpuTime(b)
		res := checker.Check(checker.KVModel(), c.hist, checker.CheckOptions{Timeout: 10 * time.Second, Workers: 1})
		checkCPU += cpuTime(b) - cpu1
		runCPU += cpu1 - cpu0
		if res.Verdict != checker.Ok {
			b.Fatalf("seed %d: %v", o.seed, res.Verdict)
		}
		events += c.w.Events()
		ops += uint64(c.hist.Len())
	}
	runtime.ReadMemStats(&mem1)
	vs := virtual.Seconds() * float64(b.N)
	b.ReportMetric(float64(runCPU.Microseconds())/1000/vs, "run-cpu-ms/vs")
	b.ReportMetric(float64(checkCPU.Microseconds())/1000/vs, "check-cpu-ms/vs")
	b.ReportMetric(float64(events)/vs, "events/vs")
	b.ReportMetric(float64(ops)/vs, "ops/vs")
	b.ReportMetric(float64(runCPU.Nanoseconds())/float64(events), "run-cpu-ns/event")
	b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/float64(events), "allocs/event")
}
