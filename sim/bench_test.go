package sim_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/detsim/detsim/internal/chaos"
	"github.com/detsim/detsim/sim"
)

// BenchmarkEventLoop runs empty events with 10,000 timers pending: each
// event reschedules itself a pseudo-random distance ahead, so the heap
// stays full and the order keeps changing.
func BenchmarkEventLoop(b *testing.B) {
	w, err := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: uint64(b.N) + 10_000, MaxTime: time.Duration(1 << 62)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.AddHost(sim.HostConfig{Factory: func() sim.Node { return &scripted{} }}); err != nil {
		b.Fatal(err)
	}
	x := uint64(1)
	var tick func()
	tick = func() {
		x = x*6364136223846793005 + 1442695040888963407
		w.After(time.Duration(1+x>>54), tick)
	}
	for i := 0; i < 10_000; i++ {
		w.After(time.Duration(i), tick)
	}
	w.RunFor(0)
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	b.ResetTimer()
	out := w.Run() // ends at the event budget: b.N more events
	b.StopTimer()
	runtime.ReadMemStats(&mem1)
	b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/float64(b.N), "allocs/event")
	if out.Reason != sim.StopEventBudget {
		b.Fatalf("loop stopped early: %v", out.Reason)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDiffTraces compares two identical JSON traces of the chaos
// workload (every kind of record, message bodies included) to the end.
func BenchmarkDiffTraces(b *testing.B) {
	var buf bytes.Buffer
	sink := sim.NewJSONSink(&buf)
	if _, err := chaos.Run(7, chaos.Options{Hosts: 5, Duration: 2 * time.Second, Sink: sink}); err != nil {
		b.Fatal(err)
	}
	sink.Flush()
	trace := buf.Bytes()
	records := bytes.Count(trace, []byte("\n"))
	b.SetBytes(int64(2 * len(trace)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := sim.DiffTraces(bytes.NewReader(trace), bytes.NewReader(trace), 10)
		if err != nil || !d.Identical() || d.Same != records {
			b.Fatalf("diff of a trace with itself: %+v, %v", d, err)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
