package client

import (
	"testing"

	"github.com/detsim/detsim/sim"
)

// BenchmarkWorkloadOp measures one workload operation end to end on the
// real event loop and network: generator, client, a fake server and three
// events (request, reply, think timer). Nothing is recorded.
func BenchmarkWorkloadOp(b *testing.B) {
	tb := newTestbed(b, 1, 3)
	tb.kv.leader = 1
	cfg := validWorkload()
	cfg.Client = tb.config(1)
	cfg.OpsMax, cfg.ThinkMin, cfg.ThinkMax = b.N, 0, 0
	w, err := NewWorkload(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tb.w.AddHost(sim.HostConfig{Factory: w.Node}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	out := tb.w.Run()
	b.StopTimer()
	if out.Err != nil || w.Stats().OK != b.N {
		b.Fatalf("run %+v, %d ok", out, w.Stats().OK)
	}
	b.ReportMetric(float64(tb.w.Events())/float64(b.N), "events/op")
}
