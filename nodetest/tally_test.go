package nodetest

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// tally is a small system of the kind a user writes, with the bugs nodetest
// must catch planted behind flags: every server counts its own ticks,
// persists the count, and gossips its vector of counts to two peers.

type tallyBugs struct {
	// MapOrder picks the peers to gossip to by ranging over a map.
	MapOrder bool `json:"map_order"`
	// SharedCounter stretches its timer by a package-level counter, which
	// every world in the process shares.
	SharedCounter bool `json:"shared_counter"`
	// Alias sends its vector in a message type whose Clone shares the
	// slice, and keeps updating the slice in place.
	Alias bool `json:"alias"`
	// ScratchReceived clears a received vector once merged, to reuse it;
	// with Alias, that clears the sender's own.
	ScratchReceived bool `json:"scratch_received"`
	// ForgetOnRestart starts from zero instead of from storage.
	ForgetOnRestart bool `json:"forget_on_restart"`
	// Procs reads GOMAXPROCS: the same in every run of one process.
	Procs bool `json:"procs"`
	// ReplicasAlwaysEqual is a ReplicasEqual that answers true without
	// looking, so the convergence check would judge the heal converged
	// at once.
	ReplicasAlwaysEqual bool `json:"replicas_always_equal"`
}

type tallyConfig struct {
	Interval time.Duration `json:"interval"`
	Rounds   int           `json:"rounds"` // ticks a node counts, then it only gossips
	Bugs     tallyBugs     `json:"bugs"`
}

// ticks is the package-level counter of the SharedCounter bug.
var ticks int

// vector is the gossip message; the network deep-copies it.
type vector struct{ Counts []uint64 }

// sharedVector is the same, with a Clone that shares the slice.
type sharedVector struct{ Counts []uint64 }

func (v sharedVector) Clone() any { return v }

type tallyNode struct {
	cfg    tallyConfig
	env    sim.Env
	own    uint64
	counts []uint64
}

type tick struct{}

func (n *tallyNode) Start(env sim.Env) {
	n.env = env
	if b, err := env.Storage().Get("count"); err == nil && len(b) == 8 && !n.cfg.Bugs.ForgetOnRestart {
		n.own = binary.BigEndian.Uint64(b)
	}
	n.set(env.ID(), n.own)
	env.After(n.cfg.Interval, tick{})
}

func (n *tallyNode) set(id sim.HostID, v uint64) {
	if int(id) >= len(n.counts) {
		n.counts = append(n.counts, make([]uint64, int(id)+1-len(n.counts))...)
	}
	n.counts[id] = max(n.counts[id], v)
}

func (n *tallyNode) Timer(sim.TimerID, any) {
	if n.own < uint64(n.cfg.Rounds) {
		n.own++
		n.env.Storage().Set("count", binary.BigEndian.AppendUint64(nil, n.own))
		n.env.Storage().Sync()
		n.set(n.env.ID(), n.own)
	}
	for _, p := range n.pick(2) {
		if n.cfg.Bugs.Alias {
			n.env.Send(p, sharedVector{Counts: n.counts})
		} else {
			n.env.Send(p, vector{Counts: n.counts})
		}
	}
	next := n.cfg.Interval
	if n.cfg.Bugs.SharedCounter {
		ticks++
		next += time.Duration(ticks)
	}
	n.env.After(next, tick{})
}

// pick chooses k peers to gossip to.
func (n *tallyNode) pick(k int) []sim.HostID {
	peers := n.env.Peers()
	var out []sim.HostID
	switch {
	case n.cfg.Bugs.MapOrder:
		set := map[sim.HostID]bool{}
		for _, p := range peers {
			set[p] = true
		}
		for p := range set {
			if len(out) < k {
				out = append(out, p)
			}
		}
		return out
	case n.cfg.Bugs.Procs:
		return []sim.HostID{peers[runtime.GOMAXPROCS(0)%len(peers)]}
	}
	for len(out) < k && len(peers) > 0 {
		j := n.env.Rand().IntN(len(peers))
		out = append(out, peers[j])
		peers = slices.Delete(peers, j, j+1)
	}
	return out
}

func (n *tallyNode) Receive(_ sim.HostID, msg any) {
	var counts []uint64
	switch m := msg.(type) {
	case vector:
		counts = m.Counts
	case sharedVector:
		counts = m.Counts
	}
	for id, v := range counts {
		n.set(sim.HostID(id), v)
	}
	if n.cfg.Bugs.ScratchReceived {
		clear(counts)
	}
}

// tallySystem defines the tally system called name with bugs.
func tallySystem(name string, bugs tallyBugs) *system.System {
	return system.MustDefine(system.Spec[tallyConfig, struct{}]{
		Name:   name,
		Config: func() tallyConfig { return tallyConfig{Interval: 20 * time.Millisecond, Rounds: 60, Bugs: bugs} },
		Build: func(cfg tallyConfig, _ struct{}, c *system.Cluster) (*system.Instance, error) {
			for _, id := range c.ServerIDs() {
				if _, err := c.AddServer(c.Peers(id), func() sim.Node { return &tallyNode{cfg: cfg} }); err != nil {
					return nil, err
				}
			}
			node := func(id sim.HostID) *tallyNode {
				if h := c.World.Host(id); h.Up() {
					return h.Node().(*tallyNode)
				}
				return nil
			}
			// best is each server's highest count yet, over all its
			// incarnations: a count that falls was lost.
			best := map[sim.HostID]uint64{}
			return &system.Instance{
				Members: c.ServerIDs,
				Invariant: func() error {
					for _, id := range c.ServerIDs() {
						if n := node(id); n != nil {
							if n.own < best[id] {
								return fmt.Errorf("%s's count fell from %d to %d: it lost what it had persisted", c.World.Host(id).Name(), best[id], n.own)
							}
							best[id] = n.own
						}
					}
					return nil
				},
				ReplicasEqual: func() bool {
					var first *tallyNode
					for _, id := range c.ServerIDs() {
						switch n := node(id); {
						case n == nil || cfg.Bugs.ReplicasAlwaysEqual:
						case first == nil:
							first = n
						case !slices.Equal(first.counts, n.counts):
							return false
						}
					}
					return true
				},
				Replicas: func() []checker.Replica {
					var out []checker.Replica
					for _, id := range c.ServerIDs() {
						if n := node(id); n != nil {
							out = append(out, checker.Replica{Name: c.World.Host(id).Name(), State: slices.Clone(n.counts)})
						}
					}
					return out
				},
			}, nil
		},
		Promises: system.Promises{Invariants: true, Convergence: true},
	})
}

var (
	tallyCorrect       = tallySystem("tally", tallyBugs{})
	tallyMapOrder      = tallySystem("tally-map-order", tallyBugs{MapOrder: true})
	tallySharedCounter = tallySystem("tally-shared-counter", tallyBugs{SharedCounter: true})
	tallyAlias         = tallySystem("tally-alias", tallyBugs{Alias: true})
	tallyForget        = tallySystem("tally-forget-on-restart", tallyBugs{ForgetOnRestart: true})
	tallyProcs         = tallySystem("tally-procs", tallyBugs{Procs: true})
	tallyScratch       = tallySystem("tally-scratch", tallyBugs{Alias: true, ScratchReceived: true})
	tallyAlwaysEqual   = tallySystem("tally-replicas-always-equal", tallyBugs{ReplicasAlwaysEqual: true})
)

func init() {
	system.MustRegister(tallyCorrect, tallyMapOrder, tallySharedCounter, tallyAlias, tallyForget, tallyProcs, tallyScratch, tallyAlwaysEqual)
}
