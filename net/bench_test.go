package net_test

import (
	"io"
	"runtime"
	"testing"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// ping answers every message to its sender, so a fixed number of messages
// stay in flight forever.
type ping struct{ env sim.Env }

type ball struct {
	N    int
	Term uint64
}

func (p *ping) Start(env sim.Env)                { p.env = env }
func (p *ping) Timer(sim.TimerID, any)           {}
func (p *ping) Receive(from sim.HostID, msg any) { p.env.Send(from, msg) }

func benchDelivery(b *testing.B, sink sim.Sink) {
	w, err := sim.NewWorld(sim.Options{Seed: 1, Sink: sink, MaxEvents: uint64(b.N) + 8, MaxTime: time.Duration(1 << 62)})
	if err != nil {
		b.Fatal(err)
	}
	n, err := simnet.New(w, simnet.Options{Default: simnet.Link{Latency: simnet.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}}})
	if err != nil {
		b.Fatal(err)
	}
	nodes := make([]*ping, 8)
	for i := range nodes {
		nodes[i] = &ping{}
		node := nodes[i]
		if _, err := w.AddHost(sim.HostConfig{Factory: func() sim.Node { return node }}); err != nil {
			b.Fatal(err)
		}
	}
	w.RunFor(0)
	for i := 0; i < 100; i++ {
		nodes[i%8].env.Send(sim.HostID((i+1)%8), ball{N: i})
	}
	before := n.Counters().Delivered
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	b.ResetTimer()
	w.Run() // every event is one delivery, so the event budget ends it after b.N
	b.StopTimer()
	runtime.ReadMemStats(&mem1)
	delivered := n.Counters().Delivered - before
	if delivered < uint64(b.N) {
		b.Fatalf("delivered %d messages, want %d", delivered, b.N)
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/float64(delivered), "allocs/msg")
}

// BenchmarkDelivery: send and deliver through the network, trace hash only.
func BenchmarkDelivery(b *testing.B) { benchDelivery(b, nil) }

// BenchmarkDeliveryJSONTrace: the same with a JSON Lines trace written to
// io.Discard.
func BenchmarkDeliveryJSONTrace(b *testing.B) { benchDelivery(b, sim.NewJSONSink(io.Discard)) }
