package scenarios_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// echo is a system with clients, written against the exported contract:
// servers answer every ping, and each client pings every server every
// 10ms. heard counts, per client and server, the answers a client got
// while the partition of the test was in force.
type echoServer struct{ env sim.Env }

func (n *echoServer) Start(env sim.Env)              { n.env = env }
func (n *echoServer) Receive(from sim.HostID, _ any) { n.env.Send(from, "pong") }
func (n *echoServer) Timer(sim.TimerID, any)         {}

type echoClient struct {
	env     sim.Env
	servers []sim.HostID
	heard   map[string]int
}

func (n *echoClient) Start(env sim.Env) { n.env = env; env.After(10*time.Millisecond, nil) }
func (n *echoClient) Receive(from sim.HostID, _ any) {
	if now := n.env.Now(); now > 1100*time.Millisecond && now < 1900*time.Millisecond {
		n.heard[fmt.Sprintf("%s<-n%d", n.env.Name(), from+1)]++
	}
}
func (n *echoClient) Timer(sim.TimerID, any) {
	for _, s := range n.servers {
		n.env.Send(s, "ping")
	}
	n.env.After(10*time.Millisecond, nil)
}

var echoHeard map[string]int

var echo = system.MustDefine(system.Spec[struct{}, struct{}]{
	Name:     "echo",
	Config:   func() struct{} { return struct{}{} },
	Workload: func() struct{} { return struct{}{} },
	Build: func(_ struct{}, _ struct{}, c *system.Cluster) (*system.Instance, error) {
		for _, id := range c.ServerIDs() {
			if _, err := c.AddServer(c.Peers(id), func() sim.Node { return &echoServer{} }); err != nil {
				return nil, err
			}
		}
		for i := 0; i < c.Shape.Clients; i++ {
			if _, err := c.AddClient(func() sim.Node { return &echoClient{servers: c.ServerIDs(), heard: echoHeard} }); err != nil {
				return nil, err
			}
		}
		// An invariant that holds, so that the scenario judges something.
		return &system.Instance{Members: c.Members, Invariant: func() error { return nil }}, nil
	},
	Promises: system.Promises{Invariants: true},
})

func echoScenario(sides string) scenarios.Scenario {
	return scenarios.Scenario{
		Name: "echo-sides", System: scenarios.System{Kind: "echo"},
		Servers: 5, Clients: 5,
		Network: scenarios.Network{Latency: scenarios.Latency{Kind: "constant", D: scenarios.Duration(time.Millisecond)}},
		Nemesis: scenarios.Nemesis{ClientSides: sides, Schedule: []scenarios.Fault{
			{At: scenarios.Duration(time.Second), Kind: scenarios.FaultPartition, Topology: scenarios.TopoIsolate, Target: "n1"},
		}},
		FaultPhase: scenarios.Duration(2 * time.Second), HealPhase: scenarios.Duration(time.Second),
		Checks: scenarios.Checks{Invariants: true},
		Expect: scenarios.Expect{Verdict: scenarios.Pass},
	}
}

func runEcho(t *testing.T, sides string) (*scenarios.Result, map[string]int) {
	t.Helper()
	if _, err := system.Lookup("echo"); err != nil {
		if err := system.Register(echo); err != nil {
			t.Fatal(err)
		}
	}
	echoHeard = map[string]int{}
	res, err := scenarios.Run(echoScenario(sides), 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res, echoHeard
}

func TestClientsOnSidesReachOnlyTheServersTheirHomeReaches(t *testing.T) {
	res, heard := runEcho(t, scenarios.ClientSidesHome)
	// c1's home is n1, the isolated server: it hears n1 alone. Every
	// other client's home is on the majority side, which n1 is not on.
	for c := 1; c <= 5; c++ {
		for s := 1; s <= 5; s++ {
			key := fmt.Sprintf("c%d<-n%d", c, s)
			sameSide := (c == 1) == (s == 1)
			if got := heard[key] > 0; got != sameSide {
				t.Errorf("%s: heard %d answers; want answers only from the client's side", key, heard[key])
			}
		}
	}
	if len(res.ClientSides) != 5 {
		t.Fatalf("ClientSides = %+v, want one entry per client", res.ClientSides)
	}
	for _, cs := range res.ClientSides {
		if want := cs.Client != 1; cs.Majority != want || cs.At.D() != time.Second || cs.Home != fmt.Sprintf("n%d", cs.Client) {
			t.Errorf("client %d: side %+v, want home n%d, majority %v, at 1s", cs.Client, cs, cs.Client, want)
		}
	}
}

func TestClientsWithoutSidesReachEveryServer(t *testing.T) {
	res, heard := runEcho(t, "")
	for c := 1; c <= 5; c++ {
		for s := 1; s <= 5; s++ {
			if key := fmt.Sprintf("c%d<-n%d", c, s); heard[key] == 0 {
				t.Errorf("%s: no answer, though clients without sides reach every server", key)
			}
		}
	}
	if res.ClientSides != nil {
		t.Errorf("ClientSides = %+v, want none without the option", res.ClientSides)
	}
}

func TestClientSidesRejectsAnUnknownPlacement(t *testing.T) {
	if _, err := system.Lookup("echo"); err != nil {
		if err := system.Register(echo); err != nil {
			t.Fatal(err)
		}
	}
	s := echoScenario("nearest")
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "client_sides") {
		t.Fatalf("Validate = %v, want an error naming client_sides", err)
	}
}
