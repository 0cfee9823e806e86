package scenarios

import (
	"fmt"
	"slices"

	"github.com/detsim/detsim/sim"
)

// FaultSlow delays one direction of the Target's links to the other
// servers by Delay, on top of the network's latency (net.Network.Slow):
// Direction "in" slows what the others send it, "out" what it sends them.
// A leader whose followers hear it at once but answer it late holds its
// lease from acknowledgements that arrive long after the heartbeat round
// left, which no symmetric latency builds. Clients' links keep their
// speed. It lasts until a heal (or Delay 0 on the same target).
const FaultSlow FaultKind = "slow"

// Directions of FaultSlow.
const (
	SlowIn  = "in"
	SlowOut = "out"
)

// TopoOneWayPair cuts the link from the Target to one other server, one
// way only: a follower that no longer hears its leader while the leader
// still hears it, so its vote requests reach a leader that must not give
// way to them.
const TopoOneWayPair = "one-way-pair"

// AimedFaultKinds and AimedTopologies are faults a scenario aims on
// purpose. Generators never draw them: their bite needs a target and a
// moment chosen with care, and leaving them out of the draw keeps every
// generated schedule what it was before they existed.
var (
	AimedFaultKinds = []FaultKind{FaultSlow}
	AimedTopologies = []string{TopoOneWayPair}
)

func validTopology(t string) bool {
	return slices.Contains(AllTopologies, t) || slices.Contains(AimedTopologies, t)
}

func (f Fault) validateSlow() error {
	switch {
	case f.Direction != SlowIn && f.Direction != SlowOut:
		return fmt.Errorf("direction must be %q (what the other servers send the target) or %q (what it sends them) (is %q)", SlowIn, SlowOut, f.Direction)
	case f.Delay < 0:
		return fmt.Errorf("delay is negative (%v)", f.Delay)
	}
	return nil
}

// slow applies a FaultSlow to the hosts its target names.
func (n *nemesis) slow(f Fault, targets []*sim.Host) {
	for _, h := range targets {
		for _, o := range n.servers {
			if o == h.ID() {
				continue
			}
			from, to := o, h.ID()
			if f.Direction == SlowOut {
				from, to = h.ID(), o
			}
			_ = n.net.Slow(from, to, f.Delay.D()) // validated with the scenario
		}
	}
}

// oneWayPair is the link TopoOneWayPair cuts: target -> one other member.
func (n *nemesis) oneWayPair(target sim.HostID, others []sim.HostID) [2]sim.HostID {
	return [2]sim.HostID{target, others[n.rng.IntN(len(others))]}
}
