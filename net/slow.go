package net

import (
	"fmt"
	"time"

	"github.com/detsim/detsim/sim"
)

// Slow adds extra to the delay of every message sent from -> to from now
// on, over whatever the link's latency model draws: one direction of a
// link made slow, the other left as it is. A leader whose followers'
// answers come back late, or that hears its followers while they hear it
// late, is the network that lease arithmetic must survive; a symmetric
// latency model cannot build it. Messages already in flight keep their
// arrival time. Slow(from, to, 0) ends it; so does ResetLinks.
//
// The extra delay is a constant, so a slow link draws nothing from the
// network's random stream and a run without one is unchanged.
func (n *Network) Slow(from, to sim.HostID, extra time.Duration) error {
	if err := n.checkHost("Slow from", from); err != nil {
		return err
	}
	if err := n.checkHost("Slow to", to); err != nil {
		return err
	}
	if extra < 0 {
		return fmt.Errorf("net: Slow %s->%s: the extra delay is negative (%v)", n.w.HostName(from), n.w.HostName(to), extra)
	}
	n.link(from, to).slow = extra
	n.w.Trace(sim.KindFault, from, "net.slow", fmt.Sprintf("slow %s->%s by %v", n.w.HostName(from), n.w.HostName(to), extra))
	return nil
}

// Slowed is the extra delay Slow put on from -> to (zero: none).
func (n *Network) Slowed(from, to sim.HostID) time.Duration {
	if n.checkHost("", from) != nil || n.checkHost("", to) != nil {
		return 0
	}
	return n.link(from, to).slow
}
