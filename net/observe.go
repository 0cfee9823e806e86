package net

import "github.com/detsim/detsim/sim"

// SendObserver sees a message as a host sends it: once for the Send, with
// duplicate false, whatever then happens to it, and once more, with
// duplicate true, for each copy the network adds. msg is the message as
// the sender gave it; the observer must not change it or keep it.
type SendObserver func(from, to sim.HostID, msg any, duplicate bool)

// ObserveSends makes f see every message sent from now on, in place of
// any observer set before; nil stops the observing. The observer runs
// inside Send, between no two events: it must neither send nor schedule,
// and it does not change the run, whose trace is the same with it as
// without. It is how the harness judges what a node sends (how often a
// leader's heartbeats go out) without a counter per message type in the
// network.
func (n *Network) ObserveSends(f SendObserver) { n.observe = f }

func (n *Network) observed(from, to sim.HostID, msg any, duplicate bool) {
	if n.observe != nil {
		n.observe(from, to, msg, duplicate)
	}
}
