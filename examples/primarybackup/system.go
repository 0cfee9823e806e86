package primarybackup

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/client/kvhistory"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

//go:embed scenarios/*.json
var builtin embed.FS

// CounterViewChange counts the primaries elected after the first.
const CounterViewChange = "view-change"

// System is the register behind the system contract.
var System = system.MustDefine(system.Spec[Config, client.WorkloadConfig]{
	Name:        "pbreg",
	Description: "an example system from outside detsim: a primary-backup register with leases",
	Config:      DefaultConfig,
	Workload:    defaultWorkload,
	Validate: func(cfg Config, wl client.WorkloadConfig, shape system.Shape) error {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("system.config: %w", err)
		}
		if shape.Spares > 0 {
			return fmt.Errorf("spares: the register has no membership changes")
		}
		wl.Client.ID, wl.Client.Servers = 1, []sim.HostID{0}
		if err := wl.Validate(); err != nil {
			return fmt.Errorf("workload.%w", err)
		}
		return nil
	},
	Build:     build,
	Promises:  system.Promises{History: true, Invariants: true, Convergence: true, Staleness: true},
	Counters:  []system.Counter{{Name: CounterViewChange, Description: "primaries elected after the first"}},
	Scenarios: scenarios,
})

// scenarios are the register's built-in scenarios.
var scenarios = func() fs.FS {
	f, err := fs.Sub(builtin, "scenarios")
	if err != nil {
		panic(err)
	}
	return f
}()

// defaultWorkload is one register, mostly read, with no operation limit.
func defaultWorkload() client.WorkloadConfig {
	wl := client.DefaultWorkloadConfig()
	wl.Keys, wl.OpsMax = 1, 0
	wl.Mix = client.Mix{Get: 3, Put: 2, CAS: 1}
	return wl
}

type cluster struct {
	w       *sim.World
	servers []sim.HostID
	hist    kvhistory.History
	// views counts primaries over every incarnation: a node's own count
	// dies with it.
	views     int
	seen      map[sim.HostID]int
	primaries map[uint64]sim.HostID // who was primary of each view
}

func build(cfg Config, wl client.WorkloadConfig, c *system.Cluster) (*system.Instance, error) {
	r := &cluster{w: c.World, servers: c.ServerIDs(), seen: map[sim.HostID]int{}, primaries: map[uint64]sim.HostID{}}
	for _, id := range r.servers {
		if _, err := c.AddServer(c.Peers(id), NewFactory(cfg)); err != nil {
			return nil, err
		}
	}
	rec := kvhistory.NewTracing(&r.hist, c.World, c.ClientID(0))
	for i := 0; i < c.Shape.Clients; i++ {
		cw := wl
		cw.Client.ID = uint64(i + 1)
		cw.Client.Servers = slices.Clone(r.servers)
		if stop := c.ClientStop(); cw.StopAt == 0 || cw.StopAt > stop {
			cw.StopAt = stop
		}
		work, err := client.NewWorkload(cw, rec)
		if err != nil {
			return nil, fmt.Errorf("workload: %w", err)
		}
		if _, err := c.AddClient(work.Node); err != nil {
			return nil, err
		}
	}
	return &system.Instance{
		Members:   c.Members,
		Leader:    r.leader,
		Invariant: r.onePrimaryPerView,
		Replicas:  r.replicas,
		Counter: func(string) int {
			return max(0, r.views-1)
		},
		History: checker.RecordedKV(&r.hist),
	}, nil
}

func (r *cluster) node(id sim.HostID) *Node {
	h := r.w.Host(id)
	if h == nil || !h.Up() {
		return nil
	}
	n, _ := h.Node().(*Node)
	return n
}

// leader is the live primary of the highest view.
func (r *cluster) leader() sim.HostID {
	best, view := sim.NoHost, uint64(0)
	for _, id := range r.servers {
		if n := r.node(id); n != nil {
			if ok, v := n.IsPrimary(); ok && v >= view {
				best, view = id, v
			}
		}
	}
	return best
}

// onePrimaryPerView is the register's election safety: no view ever has
// two primaries, across crashes too.
func (r *cluster) onePrimaryPerView() error {
	for _, id := range r.servers {
		n := r.node(id)
		if n == nil {
			continue
		}
		if v := n.Views(); v > r.seen[id] || (v < r.seen[id] && v > 0) {
			r.views += max(0, v-r.seen[id])
			r.seen[id] = v
		}
		ok, view := n.IsPrimary()
		if !ok {
			continue
		}
		if other, taken := r.primaries[view]; taken && other != id {
			return fmt.Errorf("two primaries of view %d: %s and %s", view, r.w.Host(other).Name(), r.w.Host(id).Name())
		}
		r.primaries[view] = id
	}
	return nil
}

func (r *cluster) replicas() []checker.Replica {
	var out []checker.Replica
	for _, id := range r.servers {
		if n := r.node(id); n != nil {
			out = append(out, checker.Replica{Name: r.w.Host(id).Name(), State: n.Data()})
		}
	}
	return out
}
