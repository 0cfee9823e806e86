package twopcsys_test

import (
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// BenchmarkCoordinatorCrashRun runs 2pc-coordinator-crash, the scenario
// of builtin's BenchmarkPerSystem: a coordinator and three shards under
// three list-append clients, the coordinator down 3 s of a 16 s run,
// atomicity checked after every event and the history's strict
// serializability at the end. It reports how much faster than real time
// it runs, by wall time and by the CPU time the process spent, which a
// machine shared with other work inflates far less.
//
// Unless GOGC is set, the collector is relaxed as simrun sweep relaxes
// it (GOGC 1000): a world's live heap is a few megabytes and
// short-lived. Instruction counts (callgrind) are steadiest with
// GOGC=off, which leaves the collector's share out.
//
//	GOMAXPROCS=1 go test ./nodes/2pc/twopcsys -run '^$' -bench CoordinatorCrashRun -benchtime 100x -benchmem
func BenchmarkCoordinatorCrashRun(b *testing.B) {
	benchRuns(b, "2pc-coordinator-crash")
}

// BenchmarkHappyRun runs 2pc-happy, whose lists grow longest (about 110
// elements by the end): the cost of the lists themselves.
func BenchmarkHappyRun(b *testing.B) {
	benchRuns(b, "2pc-happy")
}

// benchRuns runs seeds 1 to b.N of the scenario called name, with every
// check it has on.
func benchRuns(b *testing.B, name string) {
	if testing.Short() {
		b.Skip("whole scenarios: not under -short")
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(1000))
	}
	s := lookup(b, name)
	var virtual, wall time.Duration
	var events uint64
	cpu0 := cpuTime(b)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		r := run(b, s, uint64(i+1))
		if r.Verdict != scenarios.Pass {
			b.Fatalf("seed %d: %s", i+1, r.Summary())
		}
		wall += time.Since(start)
		virtual += r.Virtual.D()
		events += r.Events
	}
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(float64(virtual)/float64(wall), "x-real-time")
	b.ReportMetric(float64(virtual)/float64(cpu), "x-real-time-cpu")
	b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "ms/run")
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
}

// cpuTime is the CPU time the process has used, every thread included.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
