package net_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// inbox is a node that records what it receives.
type inbox struct {
	env  sim.Env
	got  []any
	from []sim.HostID
	at   []time.Duration
	w    *sim.World
}

func (n *inbox) Start(env sim.Env)      { n.env = env }
func (n *inbox) Timer(sim.TimerID, any) {}
func (n *inbox) Receive(from sim.HostID, msg any) {
	n.got = append(n.got, msg)
	n.from = append(n.from, from)
	n.at = append(n.at, n.w.Now())
}

type cluster struct {
	w     *sim.World
	n     *simnet.Network
	nodes []*inbox
}

func newCluster(t *testing.T, hosts int, def simnet.Link) *cluster {
	t.Helper()
	w, err := sim.NewWorld(sim.Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	n, err := simnet.New(w, simnet.Options{Default: def})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{w: w, n: n}
	for i := 0; i < hosts; i++ {
		node := &inbox{w: w}
		c.nodes = append(c.nodes, node)
		if _, err := w.AddHost(sim.HostConfig{Factory: func() sim.Node { return node }}); err != nil {
			t.Fatal(err)
		}
	}
	w.RunFor(0) // boot
	return c
}

// send makes host from send msg, from inside the world as a node would.
func (c *cluster) send(from, to int, msg any) { c.nodes[from].env.Send(sim.HostID(to), msg) }

type nested struct {
	Name  string
	Data  []byte
	Index map[string][]int
	Next  *nested
	Any   any
}

func TestMessageInFlightCannotBeChangedBySender(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{Latency: simnet.Constant{D: time.Millisecond}})
	msg := &nested{Name: "a", Data: []byte{1, 2, 3}, Index: map[string][]int{"k": {7}}, Next: &nested{Name: "b", Data: []byte{9}}, Any: []string{"x"}}
	c.send(0, 1, msg)
	msg.Name = "changed"
	msg.Data[0] = 100
	msg.Index["k"][0] = 100
	msg.Index["new"] = nil
	msg.Next.Data[0] = 100
	msg.Any.([]string)[0] = "changed"
	c.w.Run()
	if len(c.nodes[1].got) != 1 {
		t.Fatalf("received %d messages, want 1", len(c.nodes[1].got))
	}
	got := c.nodes[1].got[0].(*nested)
	if got == msg || got.Name != "a" || got.Data[0] != 1 || got.Index["k"][0] != 7 || len(got.Index) != 1 || got.Next.Data[0] != 9 || got.Any.([]string)[0] != "x" {
		t.Fatalf("the receiver saw the sender's later changes: %+v next %+v", got, got.Next)
	}
}

type withClone struct {
	Data   []int
	cloned bool
}

func (w withClone) Clone() any { return withClone{Data: slices.Clone(w.Data), cloned: true} }

type opaque struct{ hidden []int }

type frozen struct{ Data []int }

func (frozen) ImmutableMessage() {}

func (frozen) Clone() any { panic("the network cloned an Immutable message") }

// An Immutable message arrives as it was sent: the same slice, neither
// deep-copied nor cloned.
func TestImmutableMessagesAreSharedNotCopied(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{DupRatio: 1})
	data := []int{1, 2}
	c.w.After(0, func() { c.send(0, 1, frozen{Data: data}) })
	if out := c.w.Run(); out.Err != nil {
		t.Fatal(out.Err)
	}
	if len(c.nodes[1].got) != 2 {
		t.Fatalf("received %d messages, want the message and its duplicate", len(c.nodes[1].got))
	}
	for _, m := range c.nodes[1].got {
		if got := m.(frozen).Data; &got[0] != &data[0] {
			t.Fatalf("the network copied an Immutable message: got %v at %p, sent %p", got, &got[0], &data[0])
		}
	}
}

func TestClonerIsUsedAndUncopyableTypesAreNamed(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{})
	c.send(0, 1, withClone{Data: []int{1}})
	c.w.Run()
	if got := c.nodes[1].got[0].(withClone); !got.cloned {
		t.Fatal("the network did not use the message's Clone method")
	}

	c = newCluster(t, 2, simnet.Link{})
	c.w.After(0, func() { c.send(0, 1, opaque{hidden: []int{1}}) })
	out := c.w.Run()
	var perr *sim.PanicError
	if !errors.As(out.Err, &perr) || !strings.Contains(perr.Error(), "hidden") || !strings.Contains(perr.Error(), "Cloner") {
		t.Fatalf("uncopyable message: outcome %+v, want a panic naming the field and net.Cloner", out)
	}
}

func TestPartitionsCutsAndHeal(t *testing.T) {
	c := newCluster(t, 4, simnet.Link{Latency: simnet.Constant{D: time.Millisecond}})
	if err := c.n.Partition([]sim.HostID{0, 1}, []sim.HostID{2}); err != nil {
		t.Fatal(err)
	}
	// host 3 is in no group: it keeps every link.
	c.send(0, 1, "same side")
	c.send(0, 2, "across")
	c.send(2, 0, "across back")
	c.send(3, 0, "outsider")
	c.send(2, 3, "to outsider")
	c.w.RunFor(10 * time.Millisecond)
	if len(c.nodes[1].got) != 1 || len(c.nodes[2].got) != 0 || len(c.nodes[0].got) != 1 || len(c.nodes[3].got) != 1 {
		t.Fatalf("partition let through the wrong messages: %v %v %v %v", c.nodes[0].got, c.nodes[1].got, c.nodes[2].got, c.nodes[3].got)
	}
	c.n.Heal()
	if err := c.n.Cut(0, 1); err != nil {
		t.Fatal(err)
	}
	c.send(0, 1, "cut way")
	c.send(1, 0, "open way")
	c.w.RunFor(10 * time.Millisecond)
	if len(c.nodes[1].got) != 1 || len(c.nodes[0].got) != 2 {
		t.Fatalf("one-way cut: host 1 got %v, host 0 got %v", c.nodes[1].got, c.nodes[0].got)
	}
	c.n.Heal()
	c.send(0, 1, "healed")
	c.w.RunFor(10 * time.Millisecond)
	if last := c.nodes[1].got[len(c.nodes[1].got)-1]; last != "healed" {
		t.Fatalf("after heal host 1 last got %v", last)
	}
	cnt := c.n.Counters()
	if cnt.DroppedPartition != 3 || cnt.Dropped != 3 {
		t.Fatalf("counters %+v, want 3 partition drops", cnt)
	}
}

func TestPartitionDropsMessagesInFlight(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{Latency: simnet.Constant{D: 10 * time.Millisecond}})
	c.send(0, 1, "in flight")
	c.w.RunFor(5 * time.Millisecond)
	if err := c.n.Isolate(1); err != nil {
		t.Fatal(err)
	}
	c.w.RunFor(20 * time.Millisecond)
	if len(c.nodes[1].got) != 0 || c.n.Counters().DroppedPartition != 1 {
		t.Fatalf("message in flight survived the cut: got %v, counters %+v", c.nodes[1].got, c.n.Counters())
	}
}

func TestClogHoldsThenReleasesInOrder(t *testing.T) {
	c := newCluster(t, 3, simnet.Link{Latency: simnet.Constant{D: time.Millisecond}})
	if err := c.n.Clog(1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		c.send(0, 1, i)
	}
	c.send(0, 2, "unclogged host")
	c.w.RunFor(100 * time.Millisecond)
	if len(c.nodes[1].got) != 0 || c.n.Held() != 5 || len(c.nodes[2].got) != 1 {
		t.Fatalf("clog: host 1 got %v, held %d, host 2 got %v", c.nodes[1].got, c.n.Held(), c.nodes[2].got)
	}
	if err := c.n.Unclog(1); err != nil {
		t.Fatal(err)
	}
	c.w.RunFor(time.Millisecond)
	if !slices.Equal(c.nodes[1].got, []any{0, 1, 2, 3, 4}) || c.nodes[1].at[0] != 100*time.Millisecond {
		t.Fatalf("after unclog host 1 got %v at %v", c.nodes[1].got, c.nodes[1].at)
	}
}

func TestCrashedHostDropsAndPausedHostHolds(t *testing.T) {
	c := newCluster(t, 3, simnet.Link{Latency: simnet.Constant{D: time.Millisecond}})
	c.w.Host(1).Crash()
	c.w.Host(2).Pause()
	c.send(0, 1, "to crashed")
	c.send(0, 2, "to paused")
	c.w.RunFor(10 * time.Millisecond)
	if cnt := c.n.Counters(); cnt.DroppedHostDown != 1 {
		t.Fatalf("counters %+v, want one host-down drop", cnt)
	}
	if len(c.nodes[2].got) != 0 {
		t.Fatal("paused host received a message")
	}
	c.w.Host(2).Resume()
	c.w.RunFor(time.Millisecond)
	if len(c.nodes[2].got) != 1 {
		t.Fatal("resumed host did not receive the held message")
	}
}

func TestFIFOLinksKeepOrderAndOthersReorder(t *testing.T) {
	for _, fifo := range []bool{true, false} {
		c := newCluster(t, 2, simnet.Link{Latency: simnet.Uniform{Min: time.Millisecond, Max: 50 * time.Millisecond}, FIFO: fifo})
		for i := 0; i < 200; i++ {
			c.send(0, 1, i)
		}
		c.w.Run()
		got := c.nodes[1].got
		inOrder := slices.IsSortedFunc(got, func(a, b any) int { return a.(int) - b.(int) })
		if len(got) != 200 || inOrder != fifo {
			t.Errorf("fifo=%v: %d messages, in order %v", fifo, len(got), inOrder)
		}
	}
}

func TestLossAndDuplicationRatios(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{LossRatio: 0.2, DupRatio: 0.1})
	const sent = 20000
	for i := 0; i < sent; i++ {
		c.send(0, 1, i)
	}
	c.w.Run()
	cnt := c.n.LinkCounters(0, 1)
	near := func(got uint64, want float64) bool { return math.Abs(float64(got)-want) < 0.05*want }
	if cnt.Sent != sent || !near(cnt.DroppedLoss, 0.2*sent) || !near(cnt.Duplicated, 0.1*0.8*sent) {
		t.Fatalf("counters %+v for loss 0.2, dup 0.1 over %d sends", cnt, sent)
	}
	if cnt.Delivered != cnt.Sent-cnt.DroppedLoss+cnt.Duplicated || uint64(len(c.nodes[1].got)) != cnt.Delivered {
		t.Fatalf("delivered %d (node saw %d) does not add up: %+v", cnt.Delivered, len(c.nodes[1].got), cnt)
	}
}

func TestBadSettingsAreErrors(t *testing.T) {
	w, _ := sim.NewWorld(sim.Options{})
	cases := []struct {
		link simnet.Link
		want string
	}{
		{simnet.Link{LossRatio: 1.5}, "LossRatio"},
		{simnet.Link{DupRatio: -0.1}, "DupRatio"},
		{simnet.Link{Latency: simnet.Constant{D: -time.Second}}, "Constant.D"},
		{simnet.Link{Latency: simnet.Uniform{Min: 5, Max: 1}}, "Uniform.Max"},
		{simnet.Link{Latency: simnet.Exponential{Mean: -1}}, "Exponential.Mean"},
		{simnet.Link{Latency: simnet.LogNormal{Median: 1, Sigma: math.NaN()}}, "LogNormal.Sigma"},
		{simnet.Link{Latency: simnet.Pareto{Min: 1, Alpha: 0}}, "Pareto.Alpha"},
		{simnet.Link{Latency: simnet.Mixture{}}, "Mixture.Parts"},
		{simnet.Link{Latency: simnet.Mixture{Parts: []simnet.Weighted{{Weight: 1, Latency: simnet.Uniform{Min: -1}}}}}, "Mixture.Parts[0]: Uniform.Min"},
	}
	for _, c := range cases {
		if _, err := simnet.New(w, simnet.Options{Default: c.link}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New with %+v: err = %v, want one naming %s", c.link, err, c.want)
		}
	}
	c := newCluster(t, 2, simnet.Link{})
	for name, err := range map[string]error{
		"SetLink":       c.n.SetLink(0, 5, simnet.Link{}),
		"Cut":           c.n.Cut(-1, 0),
		"Isolate":       c.n.Isolate(2),
		"Clog":          c.n.Clog(9),
		"Partition dup": c.n.Partition([]sim.HostID{0}, []sim.HostID{0, 1}),
	} {
		if err == nil {
			t.Errorf("%s with a bad host id: no error", name)
		}
	}
}

// TestLatencyModelsMatchTheirParameters samples each model and compares the
// sample mean and quantiles with the model's closed forms.
func TestLatencyModelsMatchTheirParameters(t *testing.T) {
	const n = 200000
	ms := float64(time.Millisecond)
	cases := []struct {
		model     simnet.Latency
		mean      float64 // NaN: not checked
		quantiles map[float64]float64
		tol       float64 // relative
	}{
		{simnet.Constant{D: 5 * time.Millisecond}, 5 * ms, map[float64]float64{0.5: 5 * ms, 0.99: 5 * ms}, 0},
		{simnet.Uniform{Min: 10 * time.Millisecond, Max: 30 * time.Millisecond}, 20 * ms, map[float64]float64{0.25: 15 * ms, 0.5: 20 * ms, 0.9: 28 * ms}, 0.01},
		{simnet.Exponential{Min: time.Millisecond, Mean: 4 * time.Millisecond}, 5 * ms, map[float64]float64{0.5: ms + 4*ms*math.Ln2, 0.99: ms + 4*ms*math.Log(100)}, 0.02},
		{simnet.LogNormal{Median: 10 * time.Millisecond, Sigma: 0.5}, 10 * ms * math.Exp(0.125), map[float64]float64{0.5: 10 * ms, 0.9: 10 * ms * math.Exp(0.5*1.2815516)}, 0.02},
		{simnet.Pareto{Min: 2 * time.Millisecond, Alpha: 3}, 3 * 2 * ms / 2, map[float64]float64{0.5: 2 * ms * math.Pow(2, 1.0/3), 0.99: 2 * ms * math.Pow(100, 1.0/3)}, 0.03},
		{simnet.Mixture{Parts: []simnet.Weighted{{Weight: 3, Latency: simnet.Constant{D: time.Millisecond}}, {Weight: 1, Latency: simnet.Constant{D: 9 * time.Millisecond}}}}, 3 * ms, map[float64]float64{0.5: ms, 0.8: 9 * ms}, 0.02},
	}
	for _, c := range cases {
		t.Run(c.model.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			xs := make([]float64, n)
			var sum float64
			for i := range xs {
				xs[i] = float64(c.model.Sample(r))
				sum += xs[i]
			}
			slices.Sort(xs)
			check := func(what string, got, want float64) {
				if math.Abs(got-want) > c.tol*want+1 {
					t.Errorf("%s = %.4gms, want %.4gms within %.0f%%", what, got/ms, want/ms, c.tol*100)
				}
			}
			check("mean", sum/n, c.mean)
			for q, want := range c.quantiles {
				check("quantile", xs[int(q*n)], want)
			}
		})
	}
}

// dropSink counts drop and deliver records by message id.
type dropSink struct{ drops, delivers map[uint64]int }

func (s *dropSink) Write(r *sim.Record) error {
	switch r.Kind {
	case sim.KindDrop:
		s.drops[r.ID]++
	case sim.KindDeliver:
		s.delivers[r.ID]++
	}
	return nil
}

func TestMessagesHeldAtAPausedHostCountWhenTheirFateIsKnown(t *testing.T) {
	sink := &dropSink{drops: map[uint64]int{}, delivers: map[uint64]int{}}
	w, err := sim.NewWorld(sim.Options{Seed: 1, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	n, err := simnet.New(w, simnet.Options{Default: simnet.Link{Latency: simnet.Constant{D: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*inbox
	for i := 0; i < 3; i++ {
		node := &inbox{w: w}
		nodes = append(nodes, node)
		if _, err := w.AddHost(sim.HostConfig{Factory: func() sim.Node { return node }}); err != nil {
			t.Fatal(err)
		}
	}
	w.RunFor(0)
	w.Host(1).Pause()
	w.Host(2).Pause()
	for i := 0; i < 3; i++ {
		nodes[0].env.Send(1, i) // odd ids: to be delivered at Resume
		nodes[0].env.Send(2, i) // even ids: to be discarded by a crash
	}
	w.RunFor(10 * time.Millisecond)
	if c := n.Counters(); c.Delivered != 0 || c.Dropped != 0 {
		t.Fatalf("while the hosts are paused: %+v, want nothing delivered or dropped yet", c)
	}
	w.Host(1).Resume()
	w.Host(2).Crash()
	w.RunFor(time.Millisecond)
	if len(nodes[1].got) != 3 || len(nodes[2].got) != 0 {
		t.Fatalf("host 1 got %v, host 2 got %v", nodes[1].got, nodes[2].got)
	}
	to1, to2 := n.LinkCounters(0, 1), n.LinkCounters(0, 2)
	if to1.Delivered != 3 || to1.Dropped != 0 {
		t.Errorf("link to the resumed host: %+v, want 3 delivered", to1)
	}
	if to2.Delivered != 0 || to2.Dropped != 3 || to2.DroppedHostDown != 3 {
		t.Errorf("link to the crashed host: %+v, want 3 dropped because the host went down", to2)
	}
	for id := uint64(1); id <= 6; id++ {
		wantDrop := id%2 == 0
		if sink.drops[id]+sink.delivers[id] != 1 || (sink.drops[id] == 1) != wantDrop {
			t.Errorf("message %d: %d drop and %d deliver records, want exactly one (a drop: %v)", id, sink.drops[id], sink.delivers[id], wantDrop)
		}
	}
}
