package twopc

import (
	"time"

	"github.com/detsim/detsim/sim"
)

// NewHost returns the factory of host id: the node of the one part it
// plays, or, for a host that plays several (Place's co-located
// placements), a Host that runs them side by side.
func NewHost(cfg Config, topo Topology, id sim.HostID) sim.Factory {
	topo = topo.clone()
	var parts []sim.Factory
	if topo.Coordinator == id {
		parts = append(parts, NewCoordinator(cfg, topo))
	}
	for i, h := range topo.Shards {
		if h == id {
			parts = append(parts, NewParticipant(cfg, topo, i))
		}
	}
	for i, h := range topo.Acceptors {
		if h == id {
			parts = append(parts, NewAcceptor(cfg, topo, i))
		}
	}
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	return func() sim.Node {
		h := &Host{shards: len(topo.Shards), faster: cfg.Faster, acceptors: make([]*Acceptor, len(topo.Acceptors))}
		for _, f := range parts {
			n := f()
			h.roles = append(h.roles, n)
			switch n := n.(type) {
			case *Coordinator:
				h.coordinator = n
			case *Participant:
				h.participant = n
			case *Acceptor:
				h.acceptors[n.index] = n
			}
		}
		return h
	}
}

// Host runs several parts on one host. They share the host's clock,
// storage and fate (a crash takes them all), and they talk to each other
// by local calls: a message between parts on one host is queued and
// delivered, copied, within the same event, after the handler that sent
// it returns, so that no handler runs inside another. It crosses no
// network, takes no time, and is no network message in the counts.
type Host struct {
	shards      int
	faster      bool // ballot 0 reports go to the participants
	coordinator *Coordinator
	participant *Participant
	acceptors   []*Acceptor // by acceptor index; nil for those elsewhere
	roles       []sim.Node
	env         sim.Env
	local       []any
}

// roleTimer routes a timer back to the part that set it.
type roleTimer struct {
	role int
	tag  any
}

// roleEnv is a part's view of its host's environment.
type roleEnv struct {
	sim.Env
	h    *Host
	role int
}

func (e roleEnv) Send(to sim.HostID, msg any) {
	if to == e.Env.ID() {
		e.h.local = append(e.h.local, cloneMessage(msg))
		return
	}
	e.Env.Send(to, msg)
}

func (e roleEnv) After(d time.Duration, tag any) sim.TimerID {
	return e.Env.After(d, roleTimer{role: e.role, tag: tag})
}

func (h *Host) Start(env sim.Env) {
	h.env, h.local = env, nil
	for i, r := range h.roles {
		r.Start(roleEnv{Env: env, h: h, role: i})
	}
	h.drain()
}

func (h *Host) Receive(from sim.HostID, msg any) {
	h.route(from, msg)
	h.drain()
}

func (h *Host) Timer(id sim.TimerID, tag any) {
	if t, ok := tag.(roleTimer); ok && t.role < len(h.roles) {
		h.roles[t.role].Timer(id, t.tag)
	}
	h.drain()
}

func (h *Host) drain() {
	for len(h.local) > 0 {
		msg := h.local[0]
		h.local = h.local[1:]
		h.route(h.env.ID(), msg)
	}
	h.local = nil
}

// route hands msg to the part it is for: acceptor messages by the index
// they address, reports by whose ballot they answer, the rest by type.
func (h *Host) route(from sim.HostID, msg any) {
	var to sim.Node
	switch m := msg.(type) {
	case Bundle:
		for _, x := range m.Msgs {
			h.route(from, x)
		}
		return
	case Phase1a:
		to = h.acceptor(m.Acceptor)
	case Phase2a:
		to = h.acceptor(m.Acceptor)
	case Phase1b:
		to = h.proposer(m.Ballot)
	case Phase2b:
		if m.Ballot == 0 && h.faster {
			to = h.participantNode()
		} else {
			to = h.proposer(m.Ballot)
		}
	case BeginCommit, Vote, Ack, DecisionQuery:
		to = h.coordinatorNode()
	default:
		to = h.participantNode()
	}
	if to == nil {
		h.env.Logf("message %T for a part this host does not play", msg)
		return
	}
	to.Receive(from, msg)
}

func (h *Host) acceptor(i int) sim.Node {
	if i < 0 || i >= len(h.acceptors) || h.acceptors[i] == nil {
		return nil
	}
	return h.acceptors[i]
}

func (h *Host) proposer(ballot uint64) sim.Node {
	if leaderBallot(ballot, h.shards) {
		return h.coordinatorNode()
	}
	return h.participantNode()
}

// The nil pointers of absent parts must become nil interfaces.

func (h *Host) coordinatorNode() sim.Node {
	if h.coordinator == nil {
		return nil
	}
	return h.coordinator
}

func (h *Host) participantNode() sim.Node {
	if h.participant == nil {
		return nil
	}
	return h.participant
}

// ParticipantOf is the shard a node runs: the node itself, or the shard
// part of a Host; nil if it runs none.
func ParticipantOf(n sim.Node) *Participant {
	switch n := n.(type) {
	case *Participant:
		return n
	case *Host:
		return n.participant
	}
	return nil
}
