package system

import (
	"fmt"
	"slices"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// Cluster is the world a system builds itself into, with the layout the
// harness expects: server i (members first, then spares) is host i and is
// named ServerName(i); client i follows the servers and is named
// ClientName(i); any other host comes after the clients.
type Cluster struct {
	World *sim.World
	Net   *simnet.Network
	Shape Shape
	// FaultPhase and HealPhase are the run's two phases.
	FaultPhase, HealPhase time.Duration
	// Faults and Programs are the nemesis faults and programs the scenario
	// may fire, so that a system adds what they need (an operator host for
	// membership changes) only when needed. Faults holds the generator's
	// kinds as well as the scheduled ones.
	Faults   []string
	Programs []string

	// ServerHost makes the host configuration of server i: its name and
	// its clock's skew, which the scenario draws from the seed.
	ServerHost func(i int, peers []sim.HostID, f sim.Factory) sim.HostConfig

	servers, clients int // added so far
}

// ServerName and ClientName are the names of server i and client i,
// counting from 0: "n1", "c1".
func ServerName(i int) string { return fmt.Sprintf("n%d", i+1) }
func ClientName(i int) string { return fmt.Sprintf("c%d", i+1) }

// ServerIDs are the host ids of every server, members then spares.
func (c *Cluster) ServerIDs() []sim.HostID {
	ids := make([]sim.HostID, c.Shape.Servers+c.Shape.Spares)
	for i := range ids {
		ids[i] = sim.HostID(i)
	}
	return ids
}

// Members are the host ids of the servers in the configuration at start.
func (c *Cluster) Members() []sim.HostID { return c.ServerIDs()[:c.Shape.Servers] }

// Spares are the host ids of the spare servers.
func (c *Cluster) Spares() []sim.HostID { return c.ServerIDs()[c.Shape.Servers:] }

// Peers are every server but id.
func (c *Cluster) Peers(id sim.HostID) []sim.HostID {
	return slices.DeleteFunc(c.ServerIDs(), func(h sim.HostID) bool { return h == id })
}

// ClientID is the host id of client i.
func (c *Cluster) ClientID(i int) sim.HostID {
	return sim.HostID(c.Shape.Servers + c.Shape.Spares + i)
}

// AddServer adds the next server host, in order: the i-th call adds server
// i, with host id i.
func (c *Cluster) AddServer(peers []sim.HostID, f sim.Factory) (sim.HostID, error) {
	i := c.servers
	if i >= c.Shape.Servers+c.Shape.Spares {
		return sim.NoHost, fmt.Errorf("system: AddServer called %d times for %d servers", i+1, c.Shape.Servers+c.Shape.Spares)
	}
	if c.World.Hosts() != i {
		return sim.NoHost, fmt.Errorf("system: server %d must be added before any other host", i)
	}
	c.servers++
	return c.World.AddHost(c.ServerHost(i, peers, f))
}

// AddClient adds the next client host, after every server. Clients keep
// true time.
func (c *Cluster) AddClient(f sim.Factory) (sim.HostID, error) {
	i := c.clients
	if i >= c.Shape.Clients {
		return sim.NoHost, fmt.Errorf("system: AddClient called %d times for %d clients", i+1, c.Shape.Clients)
	}
	if c.servers != c.Shape.Servers+c.Shape.Spares {
		return sim.NoHost, fmt.Errorf("system: clients are added after all %d servers (%d so far)", c.Shape.Servers+c.Shape.Spares, c.servers)
	}
	c.clients++
	return c.World.AddHost(sim.HostConfig{Name: ClientName(i), Factory: f})
}

// AddHost adds a host that is neither a server nor a client (an operator,
// a load balancer), after every server and client.
func (c *Cluster) AddHost(cfg sim.HostConfig) (sim.HostID, error) {
	if c.servers != c.Shape.Servers+c.Shape.Spares || c.clients != c.Shape.Clients {
		return sim.NoHost, fmt.Errorf("system: other hosts are added after every server and client")
	}
	return c.World.AddHost(cfg)
}

// Complete reports whether every server and client has been added.
func (c *Cluster) Complete() error {
	if c.servers != c.Shape.Servers+c.Shape.Spares {
		return fmt.Errorf("system: %d of %d servers were added", c.servers, c.Shape.Servers+c.Shape.Spares)
	}
	if c.clients != c.Shape.Clients {
		return fmt.Errorf("system: %d of %d clients were added", c.clients, c.Shape.Clients)
	}
	return nil
}

// ClientStop is when clients stop issuing operations: a little before the
// end of the heal phase, so that the last operations can complete.
func (c *Cluster) ClientStop() time.Duration {
	quiesce := min(c.HealPhase/3, 3*time.Second)
	return c.FaultPhase + c.HealPhase - quiesce
}

// Uses reports whether the scenario may fire the fault or program name.
func (c *Cluster) Uses(name string) bool {
	return slices.Contains(c.Faults, name) || slices.Contains(c.Programs, name)
}
