package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/detsim/detsim/sim"
)

// Config tunes the example node.
type Config struct {
	// Interval is how often, by the local clock, a node increments its
	// count and gossips.
	Interval time.Duration `json:"interval"`
	// Fanout is how many random peers each round goes to.
	Fanout int `json:"fanout"`
	// Increments is how many times a node increments before it only
	// gossips; zero means forever.
	Increments int `json:"increments"`
}

// DefaultConfig gossips every 50 ms to 2 peers and stops counting after 100
// increments, so a run can converge.
func DefaultConfig() Config {
	return Config{Interval: 50 * time.Millisecond, Fanout: 2, Increments: 100}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Interval <= 0:
		return fmt.Errorf("gossip: Config.Interval must be positive (is %v)", c.Interval)
	case c.Fanout < 1:
		return fmt.Errorf("gossip: Config.Fanout must be at least 1 (is %d)", c.Fanout)
	case c.Increments < 0:
		return fmt.Errorf("gossip: Config.Increments must not be negative (is %d)", c.Increments)
	}
	return nil
}

// State is the message the nodes exchange: a count per host id.
type State struct {
	Counts []uint64
}

// Node is one replica of the counter.
type Node struct {
	cfg    Config
	env    sim.Env
	counts []uint64 // indexed by host id; grows as ids are seen
	own    uint64   // this node's count, as last persisted
}

// New returns a factory for gossip nodes.
func New(cfg Config) (sim.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return func() sim.Node { return &Node{cfg: cfg} }, nil
}

const countKey = "count"

type tick struct{}

func (n *Node) Start(env sim.Env) {
	n.env = env
	b, err := env.Storage().Get(countKey)
	switch {
	case err == nil && len(b) == 8:
		n.own = binary.BigEndian.Uint64(b)
	case err == nil, errors.Is(err, sim.ErrCorrupt):
		// A damaged count is lost, not trusted; peers still hold what we
		// gossiped, and merging takes the larger value back.
		env.Logf("count unreadable (%v); starting from 0", err)
	}
	n.set(env.ID(), n.own)
	env.After(n.cfg.Interval, tick{})
}

func (n *Node) set(id sim.HostID, v uint64) {
	if int(id) >= len(n.counts) {
		n.counts = append(n.counts, make([]uint64, int(id)+1-len(n.counts))...)
	}
	n.counts[id] = max(n.counts[id], v)
}

func (n *Node) Timer(_ sim.TimerID, _ any) {
	if n.cfg.Increments == 0 || n.own < uint64(n.cfg.Increments) {
		n.own++
		b := binary.BigEndian.AppendUint64(nil, n.own)
		n.env.Storage().Set(countKey, b)
		n.env.Storage().Sync()
		n.set(n.env.ID(), n.own)
	}
	peers := n.env.Peers()
	for i := 0; i < n.cfg.Fanout && len(peers) > 0; i++ {
		j := n.env.Rand().IntN(len(peers))
		n.env.Send(peers[j], State{Counts: n.counts})
		peers = slices.Delete(peers, j, j+1)
	}
	n.env.After(n.cfg.Interval, tick{})
}

func (n *Node) Receive(_ sim.HostID, msg any) {
	s, ok := msg.(State)
	if !ok {
		n.env.Logf("ignoring unexpected message %T", msg)
		return
	}
	for id, v := range s.Counts {
		n.set(sim.HostID(id), v)
	}
}

// Counts returns a copy of the node's vector.
func (n *Node) Counts() []uint64 { return slices.Clone(n.counts) }

// Total is the node's view of the cluster-wide count.
func (n *Node) Total() uint64 {
	var t uint64
	for _, v := range n.counts {
		t += v
	}
	return t
}
