package twopc

import (
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/detsim/detsim/sim"
)

// Topology says which host plays which part. Every host of a system is
// built with the same Topology. A host may play several parts (Place
// builds such topologies); messages between parts on one host are local
// calls, never sent over the network (see NewHost).
type Topology struct {
	// Coordinator runs two-phase commit's coordinator, or Paxos Commit's
	// leader.
	Coordinator sim.HostID
	// Shards are the participants; a key lives on Shards[ShardOf(key)].
	Shards []sim.HostID
	// Acceptors are Paxos Commit's 2F+1 acceptors; empty for two-phase
	// commit. Acceptors[0..F] receive the participants' ballot 0 votes;
	// the others serve only higher ballots.
	Acceptors []sim.HostID
}

// ShardOf is the index of the shard that holds key.
func (t Topology) ShardOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(len(t.Shards)))
}

// Validate checks the topology against the configuration. Shards are on
// hosts of their own; two-phase commit's coordinator is too, because its
// termination queries go to the coordinator and to the shards alike.
func (t Topology) Validate(cfg Config) error {
	if len(t.Shards) < 1 {
		return fmt.Errorf("twopc: a topology needs at least one shard")
	}
	if want := cfg.Acceptors(); len(t.Acceptors) != want {
		return fmt.Errorf("twopc: %s with f=%d needs %d acceptors, the topology has %d", cfg.Protocol, cfg.F, want, len(t.Acceptors))
	}
	shards := slices.Clone(t.Shards)
	slices.Sort(shards)
	if len(slices.Compact(shards)) != len(t.Shards) {
		return fmt.Errorf("twopc: two shards share a host in %v", t.Shards)
	}
	if cfg.Protocol == TwoPhase && slices.Contains(t.Shards, t.Coordinator) {
		return fmt.Errorf("twopc: two-phase commit's coordinator %d shares a host with a shard; only Paxos Commit's leader may", t.Coordinator)
	}
	return nil
}

func (t Topology) clone() Topology {
	return Topology{Coordinator: t.Coordinator, Shards: slices.Clone(t.Shards), Acceptors: slices.Clone(t.Acceptors)}
}

// voters are the acceptors that receive every participant's ballot 0
// vote in the normal case: F+1 of them, enough to choose it.
func (t Topology) voters(f int) []sim.HostID { return t.Acceptors[:min(f+1, len(t.Acceptors))] }

// Placement is where the parts of a system live: the configurations Gray
// and Lamport count the cost of Paxos Commit in.
type Placement string

const (
	// Apart: the coordinator, every shard and every acceptor on a host of
	// its own.
	Apart Placement = "apart"
	// LeaderWithAcceptor: as Apart, but acceptor 0 shares the leader's
	// host, so that acceptor's report to the leader is local and the
	// initiator's BeginCommit travels with its vote to that acceptor.
	LeaderWithAcceptor Placement = "leader-with-acceptor"
	// CoLocated: one host per shard; the leader and acceptor 0 are on
	// shard 0's host, the other acceptors on the other shards' hosts in
	// turn (with fewer than 2F+1 shards, a host holds two). Transactions
	// that shard 0 initiates commit at Gray and Lamport's co-located cost.
	CoLocated Placement = "co-located"
)

// Hosts is the number of hosts the placement needs for shards shards and
// acceptors acceptors.
func (p Placement) Hosts(shards, acceptors int) int {
	switch p {
	case LeaderWithAcceptor:
		return shards + max(acceptors, 1)
	case CoLocated:
		return shards
	}
	return 1 + shards + acceptors
}

// ShardsOn is the number of shards a placement makes of hosts hosts, or
// less than 1 when there are too few.
func (p Placement) ShardsOn(hosts, acceptors int) int {
	switch p {
	case LeaderWithAcceptor:
		return hosts - max(acceptors, 1)
	case CoLocated:
		return hosts
	}
	return hosts - 1 - acceptors
}

func (p Placement) validate(proto Protocol) error {
	switch p {
	case Apart:
		return nil
	case LeaderWithAcceptor, CoLocated:
		if proto != PaxosCommit {
			return fmt.Errorf("placement %q places acceptors, which only %q has", p, PaxosCommit)
		}
		return nil
	}
	return fmt.Errorf("placement %q is none of %q, %q, %q", p, Apart, LeaderWithAcceptor, CoLocated)
}

// Place lays out a topology over hosts, which must number exactly
// cfg.Placement.Hosts(shards, cfg.Acceptors()).
func Place(cfg Config, shards int, hosts []sim.HostID) (Topology, error) {
	acceptors := cfg.Acceptors()
	if shards < 1 {
		return Topology{}, fmt.Errorf("twopc: a topology needs at least one shard (has %d)", shards)
	}
	if want := cfg.Placement.Hosts(shards, acceptors); len(hosts) != want {
		return Topology{}, fmt.Errorf("twopc: placement %q of %d shards and %d acceptors needs %d hosts, has %d", cfg.Placement, shards, acceptors, want, len(hosts))
	}
	var t Topology
	switch cfg.Placement {
	case CoLocated:
		t.Shards = slices.Clone(hosts)
		t.Coordinator = hosts[0]
		for i := range acceptors {
			h := hosts[0]
			if i > 0 && shards > 1 {
				h = hosts[1+(i-1)%(shards-1)]
			}
			t.Acceptors = append(t.Acceptors, h)
		}
	case LeaderWithAcceptor:
		t.Coordinator = hosts[0]
		t.Shards = slices.Clone(hosts[1 : 1+shards])
		t.Acceptors = append([]sim.HostID{hosts[0]}, hosts[1+shards:]...)
	default:
		t.Coordinator = hosts[0]
		t.Shards = slices.Clone(hosts[1 : 1+shards])
		t.Acceptors = slices.Clone(hosts[1+shards:])
	}
	return t, t.Validate(cfg)
}
