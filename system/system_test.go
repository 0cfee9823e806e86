package system_test

import (
	"strings"
	"testing"

	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

type config struct {
	Size  int    `json:"size"`
	Label string `json:"label"`
}

func spec(name string) system.Spec[config, struct{}] {
	return system.Spec[config, struct{}]{
		Name:   name,
		Config: func() config { return config{Size: 3, Label: "default"} },
		Build: func(c config, _ struct{}, cl *system.Cluster) (*system.Instance, error) {
			return &system.Instance{Members: cl.Members}, nil
		},
	}
}

func TestDefineRejectsABadSpec(t *testing.T) {
	for _, c := range []struct {
		mutate func(*system.Spec[config, struct{}])
		want   string
	}{
		{func(s *system.Spec[config, struct{}]) { s.Name = "Raft!" }, "lower-case"},
		{func(s *system.Spec[config, struct{}]) { s.Config = nil }, "Spec.Config is nil"},
		{func(s *system.Spec[config, struct{}]) { s.Build = nil }, "Spec.Build is nil"},
		{func(s *system.Spec[config, struct{}]) { s.Promises.History = true }, "no Spec.Workload"},
		{func(s *system.Spec[config, struct{}]) {
			s.Faults = []system.FaultKind{{Name: "x"}}
			s.Counters = []system.Counter{{Name: "x"}}
		}, `counter "x"`},
	} {
		s := spec("ok")
		c.mutate(&s)
		if _, err := system.Define(s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want %q", err, c.want)
		}
	}
}

func TestDecodeKeepsDefaultsAndRejectsUnknownFields(t *testing.T) {
	sys := system.MustDefine(spec("decode"))
	cfg, err := sys.Decode([]byte(`{"label": "mine"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Value().(config); got != (config{Size: 3, Label: "mine"}) {
		t.Fatalf("decoded %+v", got)
	}
	if _, err := sys.Decode([]byte(`{"sise": 4}`), nil); err == nil || !strings.Contains(err.Error(), `system.config: json: unknown field "sise"`) {
		t.Fatalf("unknown field: %v", err)
	}
	if _, err := sys.Decode([]byte(`{"size": "four"}`), nil); err == nil || !strings.Contains(err.Error(), "system.config: size: cannot use a JSON string") {
		t.Fatalf("wrong type: %v", err)
	}
	if _, err := sys.Decode(nil, []byte(`{"keys": 1}`)); err == nil || !strings.Contains(err.Error(), "no clients") {
		t.Fatalf("workload for a system without clients: %v", err)
	}
}

func TestBuildHoldsTheInstanceToItsPromises(t *testing.T) {
	s := spec("promises")
	s.Promises.Convergence = true
	sys := system.MustDefine(s)
	cfg, err := sys.Decode(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := sim.NewWorld(sim.Options{Seed: 1})
	if _, err := cfg.Build(&system.Cluster{World: w, Shape: system.Shape{Servers: 1}}); err == nil || !strings.Contains(err.Error(), "no Replicas") {
		t.Fatalf("an instance that breaks a promise: %v", err)
	}
}

func TestRegisterRefusesTwoSystemsOfOneName(t *testing.T) {
	a, b := system.MustDefine(spec("twin")), system.MustDefine(spec("twin"))
	if err := system.Register(a, a); err != nil {
		t.Fatal(err)
	}
	if err := system.Register(b); err == nil {
		t.Fatal("a second system named twin registered")
	}
	if got, err := system.Lookup("twin"); err != nil || got != a {
		t.Fatalf("lookup: %v", err)
	}
	if _, err := system.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "twin") {
		t.Fatalf("an unknown system's error lists the known ones: %v", err)
	}
}

func TestTheClusterLaysHostsOutInOrder(t *testing.T) {
	w, _ := sim.NewWorld(sim.Options{Seed: 1})
	c := &system.Cluster{World: w, Shape: system.Shape{Servers: 2, Spares: 1, Clients: 1},
		ServerHost: func(i int, peers []sim.HostID, f sim.Factory) sim.HostConfig {
			return sim.HostConfig{Name: system.ServerName(i), Peers: peers, Factory: f}
		}}
	idle := func() sim.Node { return idleNode{} }
	if _, err := c.AddClient(idle); err == nil {
		t.Fatal("a client before the servers")
	}
	for _, id := range c.ServerIDs() {
		if got, err := c.AddServer(c.Peers(id), idle); err != nil || got != id {
			t.Fatalf("server %d: %v %v", id, got, err)
		}
	}
	if err := c.Complete(); err == nil {
		t.Fatal("complete without the client")
	}
	if id, err := c.AddClient(idle); err != nil || id != c.ClientID(0) || w.Host(id).Name() != "c1" {
		t.Fatalf("client: %v %v", id, err)
	}
	if err := c.Complete(); err != nil {
		t.Fatal(err)
	}
	if got := c.Spares(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("spares %v", got)
	}
}

type idleNode struct{}

func (idleNode) Start(sim.Env)           {}
func (idleNode) Receive(sim.HostID, any) {}
func (idleNode) Timer(sim.TimerID, any)  {}
