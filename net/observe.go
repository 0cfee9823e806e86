package net

import "github.com/detsim/detsim/sim"

// Observer sees messages as a host sends them and as a node receives
// them, which is how the harness judges what a node sends and what
// asked for it (how often a leader's heartbeats go out, and how many
// reads it was given) without a counter per message type in the
// network. msg is the message as it was sent or as the node got it; an
// observer must not change it or keep it, must neither send nor
// schedule, and changes nothing in the run, whose trace is the same
// with it as without.
type Observer interface {
	// Sent: from sent msg to to, once per Send, whatever then happens to
	// it (a duplicate the network adds is not sent again).
	Sent(from, to sim.HostID, msg any)
	// Delivered: to's node has received msg, each copy of it, and has
	// handled it (what it sent in answer was Sent before this call).
	Delivered(from, to sim.HostID, msg any)
}

// Observe makes o see every message sent and delivered from now on, in
// place of any observer set before; nil stops the observing.
func (n *Network) Observe(o Observer) { n.observer = o }

func (n *Network) observeSent(from, to sim.HostID, msg any) {
	if n.observer != nil {
		n.observer.Sent(from, to, msg)
	}
}

// settled counts what became of a message that reached its host's
// world, and shows a delivered one to the observer.
func (n *Network) settled(l *link, m sim.Message, r sim.DeliveryResult) {
	n.count(l, r)
	if r == sim.Delivered && n.observer != nil {
		n.observer.Delivered(m.From, m.To, m.Body)
	}
}
