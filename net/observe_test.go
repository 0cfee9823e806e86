package net_test

import (
	"testing"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

type beat struct{ Term uint64 }

// TestTheSendObserverSeesEverySendAndEveryCopy: a message is observed as
// it is sent, lost or not, and once more for each duplicate; the run is
// the same with the observer as without, and observing allocates
// nothing.
func TestTheSendObserverSeesEverySendAndEveryCopy(t *testing.T) {
	run := func(observe bool) (sends, dups int, hash uint64, c *cluster) {
		c = newCluster(t, 3, simnet.Link{LossRatio: 0.3, DupRatio: 0.3})
		if observe {
			c.n.ObserveSends(func(from, to sim.HostID, msg any, duplicate bool) {
				if _, ok := msg.(beat); !ok || from != 0 || to != 2 {
					t.Errorf("observed %T %d->%d", msg, from, to)
				}
				if duplicate {
					dups++
				} else {
					sends++
				}
			})
		}
		for i := 0; i < 1000; i++ {
			c.send(0, 2, beat{Term: uint64(i)})
		}
		c.w.RunFor(0)
		return sends, dups, c.w.Hash(), c
	}
	sends, dups, hash, c := run(true)
	got := c.n.LinkCounters(0, 2)
	if sends != 1000 || uint64(dups) != got.Duplicated || dups == 0 {
		t.Fatalf("observed %d sends and %d copies; the link counts %+v", sends, dups, got)
	}
	if _, _, plain, _ := run(false); plain != hash {
		t.Fatalf("the observer changed the run: hash %x, without it %x", hash, plain)
	}
	c.n.ObserveSends(nil)
	send := func() { c.send(0, 1, beat{}); c.w.RunFor(0) }
	without := testing.AllocsPerRun(100, send)
	c.n.ObserveSends(func(sim.HostID, sim.HostID, any, bool) {})
	if with := testing.AllocsPerRun(100, send); with > without {
		t.Fatalf("a send allocates %v times with an observer, %v without", with, without)
	}
}
