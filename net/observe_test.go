package net_test

import (
	"testing"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

type beat struct{ Term uint64 }

// countingObserver counts what it sees, and checks it is what was sent.
type countingObserver struct {
	t               *testing.T
	sent, delivered int
	inbox           *inbox
}

func (o *countingObserver) Sent(from, to sim.HostID, msg any) {
	if _, ok := msg.(beat); !ok || from != 0 || to != 2 {
		o.t.Errorf("observed the send of %T %d->%d", msg, from, to)
	}
	o.sent++
}

func (o *countingObserver) Delivered(from, to sim.HostID, msg any) {
	if _, ok := msg.(beat); !ok || from != 0 || to != 2 {
		o.t.Errorf("observed the delivery of %T %d->%d", msg, from, to)
	}
	o.delivered++
	if len(o.inbox.got) != o.delivered {
		o.t.Errorf("delivery %d observed with %d in the inbox: not after the node handled it", o.delivered, len(o.inbox.got))
	}
}

// TestTheObserverSeesEverySendAndEveryDelivery: a message is observed as
// it is sent, lost or not, and as each copy of it is handled, held ones
// too; the run is the same with the observer as without, and observing
// allocates nothing.
func TestTheObserverSeesEverySendAndEveryDelivery(t *testing.T) {
	run := func(observe bool) (*countingObserver, uint64, *cluster) {
		c := newCluster(t, 3, simnet.Link{LossRatio: 0.3, DupRatio: 0.3})
		o := &countingObserver{t: t, inbox: c.nodes[2]}
		if observe {
			c.n.Observe(o)
		}
		for i := 0; i < 1000; i++ {
			c.send(0, 2, beat{Term: uint64(i)})
		}
		c.w.Host(2).Pause()
		c.send(0, 2, beat{})
		c.w.RunFor(0)
		c.w.Host(2).Resume()
		c.w.RunFor(0)
		return o, c.w.Hash(), c
	}
	o, hash, c := run(true)
	got := c.n.LinkCounters(0, 2)
	if o.sent != 1001 || uint64(o.delivered) != got.Delivered || got.Duplicated == 0 || o.delivered != len(c.nodes[2].got) {
		t.Fatalf("observed %d sends and %d deliveries; the link counts %+v", o.sent, o.delivered, got)
	}
	if _, plain, _ := run(false); plain != hash {
		t.Fatalf("the observer changed the run: hash %x, without it %x", hash, plain)
	}
	c.n.Observe(nil)
	send := func() { c.send(0, 1, beat{}); c.w.RunFor(0) }
	without := testing.AllocsPerRun(100, send)
	c.n.Observe(nopObserver{})
	if with := testing.AllocsPerRun(100, send); with > without {
		t.Fatalf("a send allocates %v times with an observer, %v without", with, without)
	}
}

type nopObserver struct{}

func (nopObserver) Sent(sim.HostID, sim.HostID, any)      {}
func (nopObserver) Delivered(sim.HostID, sim.HostID, any) {}
