package builtin

import (
	"github.com/detsim/detsim/nodes/2pc/twopcsys"
	"github.com/detsim/detsim/nodes/cache/cachesys"
	"github.com/detsim/detsim/nodes/dynamo/dynamosys"
	"github.com/detsim/detsim/nodes/etcdraft/etcdsys"
	"github.com/detsim/detsim/nodes/gossip/gossipsys"
	"github.com/detsim/detsim/nodes/raft/raftsys"
	"github.com/detsim/detsim/system"
)

// Systems are the systems that ship with detsim, in the order `simrun
// list` shows them.
func Systems() []*system.System {
	return []*system.System{raftsys.System, etcdsys.System, dynamosys.System, twopcsys.System, cachesys.System, gossipsys.System}
}

// Demo names the scenarios that `simrun` alone runs, one seed each:
// healthy runs under faults, and runs that must find a bug (a planted one,
// and the lease reads that clocks break).
func Demo() []string {
	return []string{
		"raft-happy",
		"raft-leader-partition",
		"raft-crash-restart",
		"raft-swarm",
		"raft-bug-stale-reads",
		"raft-clock-skew-lease",
		"dynamo-happy",
		"dynamo-partition-sloppy",
		"dynamo-bug-lww",
		"2pc-coordinator-crash",
		"2pc-paxos-commit-coordinator-crash",
		"2pc-bug-release-at-prepare",
		"cache-stale-set-leases",
		"cache-bug-replicated-tutorial",
		"gossip-example",
	}
}

// Register registers every built-in system.
func Register() { system.MustRegister(Systems()...) }
