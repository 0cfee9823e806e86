package builtin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	. "github.com/detsim/detsim/scenarios"
)

// growthScenarios is, per built-in system, the scenario whose cost
// BenchmarkGrowth and BenchmarkPerSystem measure: faults of a kind that
// any cluster size can take (a random minority, the leader, every host),
// every check the scenario has on.
var growthScenarios = []string{
	"raft-minority-partition",
	"etcd-raft-minority-partition",
	"dynamo-crash-restart-handoff",
	"2pc-coordinator-crash",
	"cache-server-crash",
	"gossip-example",
}

// BenchmarkPerSystem runs each system's scenario of growthScenarios as it
// is: the speed of every system under faults, checks included, in times
// real time by CPU and by wall.
//
//	GOMAXPROCS=1 go test ./builtin -run '^$' -bench PerSystem -benchtime 20x
func BenchmarkPerSystem(b *testing.B) {
	for _, name := range growthScenarios {
		b.Run(name, func(b *testing.B) {
			s, err := Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			benchScenario(b, s)
		})
	}
}

// BenchmarkGrowth builds each system's scenario with one parameter
// changed at a time, the others as the scenario has them: the servers
// (3, 5, 9, 15, 31), the clients (1, 3, 10, 30), the operation rate (the
// workload's think time) and the fault phase, so the length of the
// history. A size the system refuses (Validate) is skipped with its
// reason. Costs are per virtual second, with the history check's share
// apart.
//
//	GOMAXPROCS=1 go test ./builtin -run '^$' -bench Growth -benchtime 3x
func BenchmarkGrowth(b *testing.B) {
	for _, name := range growthScenarios {
		base, err := Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for _, servers := range []int{3, 5, 9, 15, 31} {
				s := base.Clone()
				s.Servers = servers
				b.Run(fmt.Sprintf("servers=%d", servers), func(b *testing.B) { benchScenario(b, s) })
			}
			for _, clients := range []int{1, 3, 10, 30} {
				s := base.Clone()
				s.Clients = clients
				b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchScenario(b, s) })
			}
			for _, think := range []time.Duration{40 * time.Millisecond, 10 * time.Millisecond, 2 * time.Millisecond} {
				s := base.Clone()
				b.Run(fmt.Sprintf("think=%v", think), func(b *testing.B) {
					if err := setThink(&s, think); err != nil {
						b.Skip(err)
					}
					benchScenario(b, s)
				})
			}
			for _, phase := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second} {
				s := base.Clone()
				s.FaultPhase = Duration(phase)
				b.Run(fmt.Sprintf("faults=%v", phase), func(b *testing.B) { benchScenario(b, s) })
			}
		})
	}
}

// BenchmarkParallelSeeds runs the same seeds of each system's scenario
// of growthScenarios on 1 goroutine, then on 2, alternating, at GOGC 1000
// as simrun sweeps (unless GOGC is set), and reports for each: seeds per
// second, the speed-up of the second worker, CPU per seed (getrusage,
// every thread) and the collector's share of that CPU (runtime/metrics).
// What a second worker does not gain shows as CPU per seed that rises
// with the workers (shared caches, the collector's work moving onto the
// workers' cores) or as wall time the load took.
//
//	go test ./builtin -run '^$' -bench ParallelSeeds -benchtime 40x
func BenchmarkParallelSeeds(b *testing.B) {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(1000))
	}
	const rounds = 2
	for _, name := range growthScenarios {
		b.Run(name, func(b *testing.B) {
			s, err := Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			var wall, cpu, gc [3]time.Duration
			for range rounds {
				for _, workers := range []int{1, 2} {
					start, cpu0, gc0 := time.Now(), cpuTime(b), gcCPU()
					runSeeds(b, s, b.N, workers)
					wall[workers] += time.Since(start)
					cpu[workers] += cpuTime(b) - cpu0
					gc[workers] += gcCPU() - gc0
				}
			}
			n := float64(b.N * rounds)
			for _, w := range []int{1, 2} {
				b.ReportMetric(n/wall[w].Seconds(), fmt.Sprintf("seeds/s-%d", w))
				b.ReportMetric(float64(cpu[w].Microseconds())/1000/n, fmt.Sprintf("cpu-ms/seed-%d", w))
				b.ReportMetric(float64(gc[w])/float64(cpu[w]), fmt.Sprintf("gc-share-%d", w))
			}
			b.ReportMetric(wall[1].Seconds()/wall[2].Seconds(), "workers2/workers1")
		})
	}
}

// runSeeds runs seeds 1 to n of s on the given number of goroutines.
func runSeeds(b *testing.B, s Scenario, n, workers int) {
	var next atomic.Uint64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := next.Add(1); seed <= uint64(n); seed = next.Add(1) {
				if _, err := Run(s, seed, Options{CheckWorkers: 1}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// gcCPU is the CPU time the collector has used so far, as the runtime
// estimates it.
func gcCPU() time.Duration {
	sample := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(sample)
	return time.Duration(sample[0].Value.Float64() * float64(time.Second))
}

// setThink sets the workload's think time between operations to between
// think and twice think, if the system's workload has one.
func setThink(s *Scenario, think time.Duration) error {
	fields := map[string]json.RawMessage{}
	if len(s.Workload) > 0 {
		if err := json.Unmarshal(s.Workload, &fields); err != nil {
			return fmt.Errorf("workload is not an object: %v", err)
		}
	}
	if _, ok := fields["think_min"]; !ok {
		return fmt.Errorf("%s: the workload has no think_min", s.Name)
	}
	fields["think_min"], _ = json.Marshal(think.String())
	fields["think_max"], _ = json.Marshal((2 * think).String())
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	s.Workload = b
	return nil
}

// benchScenario runs s for seeds 1 to b.N and reports its cost per virtual
// second, by CPU time (getrusage: load moves it far less than wall time)
// and by wall time, with the history check's wall time apart.
func benchScenario(b *testing.B, s Scenario) {
	if err := s.Validate(); err != nil {
		b.Skip(err)
	}
	var events, ops uint64
	var wall, check time.Duration
	cpu0 := cpuTime(b)
	for i := 0; i < b.N; i++ {
		res, err := Run(s, uint64(i+1), Options{CheckWorkers: 1})
		if err != nil {
			b.Fatal(err)
		}
		if res.Stop == "event-budget" {
			b.Fatalf("seed %d ran out of its event budget: %v", i+1, res.Reasons)
		}
		events += res.Events
		ops += uint64(res.Ops.Invoked)
		wall += res.Wall.D()
		if res.Lin != nil {
			check += res.Lin.Elapsed.D()
		}
	}
	cpu := cpuTime(b) - cpu0
	vs := (s.FaultPhase.D() + s.HealPhase.D()).Seconds() * float64(b.N)
	b.ReportMetric(vs/cpu.Seconds(), "virtual/cpu")
	b.ReportMetric(vs/wall.Seconds(), "virtual/wall")
	b.ReportMetric(float64(cpu.Microseconds())/1000/vs, "cpu-ms/vs")
	b.ReportMetric(float64(wall.Microseconds())/1000/vs, "wall-ms/vs")
	b.ReportMetric(float64(check.Microseconds())/1000/vs, "check-ms/vs")
	b.ReportMetric(float64(check)/float64(wall), "check-share")
	b.ReportMetric(float64(events)/vs, "events/vs")
	b.ReportMetric(float64(ops)/vs, "ops/vs")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(events), "cpu-ns/event")
}

// cpuTime is the CPU time the process has used, every thread included (the
// collector's too).
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
