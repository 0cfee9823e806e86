package twopc

import (
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/detsim/detsim/sim"
)

// Topology says which host plays which part. Every host of a system is
// built with the same Topology.
type Topology struct {
	// Coordinator runs two-phase commit's coordinator, or Paxos Commit's
	// leader.
	Coordinator sim.HostID
	// Shards are the participants; a key lives on Shards[ShardOf(key)].
	Shards []sim.HostID
	// Acceptors are Paxos Commit's 2F+1 acceptors; empty for two-phase
	// commit.
	Acceptors []sim.HostID
}

// ShardOf is the index of the shard that holds key.
func (t Topology) ShardOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(len(t.Shards)))
}

// Validate checks the topology against the configuration.
func (t Topology) Validate(cfg Config) error {
	if len(t.Shards) < 1 {
		return fmt.Errorf("twopc: a topology needs at least one shard")
	}
	if want := cfg.Acceptors(); len(t.Acceptors) != want {
		return fmt.Errorf("twopc: %s with f=%d needs %d acceptors, the topology has %d", cfg.Protocol, cfg.F, want, len(t.Acceptors))
	}
	all := append(append([]sim.HostID{t.Coordinator}, t.Shards...), t.Acceptors...)
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(all) {
		return fmt.Errorf("twopc: a host plays two parts in %v", all)
	}
	return nil
}

func (t Topology) clone() Topology {
	return Topology{Coordinator: t.Coordinator, Shards: slices.Clone(t.Shards), Acceptors: slices.Clone(t.Acceptors)}
}
