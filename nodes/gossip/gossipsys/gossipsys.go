package gossipsys

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/gossip"
	"github.com/detsim/detsim/system"
)

//go:embed scenarios/*.json
var builtin embed.FS

// System is the example gossip counter of package gossip: it has no
// clients and no invariants, and its replicas must converge once healed.
var System = system.MustDefine(system.Spec[gossip.Config, struct{}]{
	Name:        "gossip",
	Description: "the example node of nodes/gossip: a replicated counter that gossips and converges",
	Config:      gossip.DefaultConfig,
	Validate: func(cfg gossip.Config, _ struct{}, shape system.Shape) error {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("system.config: %w", err)
		}
		if shape.Spares > 0 {
			return fmt.Errorf("spares: the gossip system has no membership changes")
		}
		return nil
	},
	Build:     build,
	Promises:  system.Promises{Convergence: true},
	Scenarios: sub("scenarios"),
})

func sub(dir string) fs.FS {
	f, err := fs.Sub(builtin, dir)
	if err != nil {
		panic(err)
	}
	return f
}

func build(cfg gossip.Config, _ struct{}, c *system.Cluster) (*system.Instance, error) {
	factory, err := gossip.New(cfg)
	if err != nil {
		return nil, err
	}
	servers := c.ServerIDs()
	for _, id := range servers {
		if _, err := c.AddServer(c.Peers(id), factory); err != nil {
			return nil, err
		}
	}
	w := c.World
	return &system.Instance{
		Members: c.ServerIDs,
		Replicas: func() []checker.Replica {
			var out []checker.Replica
			for _, id := range servers {
				if h := w.Host(id); h.Up() {
					out = append(out, checker.Replica{Name: h.Name(), State: h.Node().(*gossip.Node).Counts()})
				}
			}
			return out
		},
	}, nil
}
