package sim_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/detsim/detsim/sim"
)

// directTransport hands every message straight to its host.
type directTransport struct {
	w  *sim.World
	id uint64
}

func (d *directTransport) Send(from, to sim.HostID, msg any) {
	d.id++
	m := sim.Message{From: from, To: to, ID: d.id, Label: "msg", Body: msg}
	d.w.TraceMessage(sim.KindSend, m)
	d.w.Deliver(m)
}

type tagged struct {
	Leader sim.HostID            `json:"leader"`
	Hint   sim.HostID            `json:"hint,omitempty"`
	Skip   sim.HostID            `json:"-"`
	Votes  map[sim.HostID]string `json:"votes,omitempty"`
	Note   string                `json:"note"`
	Raw    []byte                `json:"raw"`
}

type hint struct {
	Leader  sim.HostID
	Members []sim.HostID
	ByHost  map[sim.HostID]int
	Next    *hint
}

// TestJSONBodiesNameHosts: in a JSON trace a host id in a body is its
// name, and everything else is as encoding/json writes it.
func TestJSONBodiesNameHosts(t *testing.T) {
	var out bytes.Buffer
	sink := sim.NewJSONSink(&out)
	w := newWorld(t, sim.Options{Seed: 1, Sink: sink})
	w.SetTransport(&directTransport{w: w})
	start := func(env sim.Env) {
		if env.ID() == 0 {
			env.Send(1, hint{Leader: 2, Members: []sim.HostID{0, 2}, ByHost: map[sim.HostID]int{2: 1, 0: 3}, Next: &hint{Leader: 1}})
			env.Send(1, tagged{Leader: 1, Skip: 2, Votes: map[sim.HostID]string{0: "yes"}, Note: "<&>", Raw: []byte{1, 2}})
			env.Send(1, struct{ Term, Index int }{3, 4})
		}
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		addHost(t, w, sim.HostConfig{Name: name, Factory: func() sim.Node { return &scripted{start: start} }})
	}
	w.Run()
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`"msg":{"Leader":"gamma","Members":["alpha","gamma"],"ByHost":{"alpha":3,"gamma":1},"Next":{"Leader":"beta","Members":null,"ByHost":null,"Next":null}}`,
		`"msg":{"leader":"beta","votes":{"alpha":"yes"},"note":"\u003c\u0026\u003e","raw":"AQI="}`,
		`"msg":{"Term":3,"Index":4}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the JSON trace does not hold %s:\n%s", want, got)
		}
	}
}

func TestHostsAreNamedFromOneByDefault(t *testing.T) {
	w := newWorld(t, sim.Options{Seed: 1})
	for i := 0; i < 3; i++ {
		addHost(t, w, sim.HostConfig{Factory: func() sim.Node { return &scripted{} }})
	}
	for id, want := range []string{"n1", "n2", "n3"} {
		if got := w.Host(sim.HostID(id)).Name(); got != want || sim.DefaultName(sim.HostID(id)) != want || w.HostName(sim.HostID(id)) != want {
			t.Errorf("host %d is named %q (default %q, HostName %q), want %q", id, got, sim.DefaultName(sim.HostID(id)), w.HostName(sim.HostID(id)), want)
		}
	}
	if got := w.HostName(7); got != "h7" {
		t.Errorf("HostName of a host that does not exist is %q, want its bare number h7", got)
	}
	if got := w.HostName(sim.NoHost); got != "-" {
		t.Errorf("HostName(NoHost) is %q", got)
	}
}

// TestTheTraceSpeaksHostNames: host ids in log arguments and anywhere in
// a message body are written as the hosts' names, not as bare numbers.
func TestTheTraceSpeaksHostNames(t *testing.T) {
	var text bytes.Buffer
	sink := sim.NewTextSink(&text)
	w := newWorld(t, sim.Options{Seed: 1, Sink: sink})
	w.SetTransport(&directTransport{w: w})
	start := func(env sim.Env) {
		if env.ID() != 0 {
			return
		}
		env.Logf("leader is %v (number %d), members %v", sim.HostID(2), sim.HostID(2), []sim.HostID{1, 2})
		env.Send(1, hint{Leader: 2, Members: []sim.HostID{0, 2}, ByHost: map[sim.HostID]int{2: 1, 0: 3}, Next: &hint{Leader: 1}})
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		addHost(t, w, sim.HostConfig{Name: name, Factory: func() sim.Node { return &scripted{start: start} }})
	}
	w.Run()
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
	got := text.String()
	for _, want := range []string{
		"leader is gamma (number 2), members [beta gamma]",
		"{Leader:gamma Members:[alpha gamma] ByHost:map[alpha:3 gamma:1] Next:&{Leader:beta Members:[] ByHost:map[] Next:<nil>}}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the trace does not say %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "h1") || strings.Contains(got, "h2") {
		t.Errorf("the trace speaks of a named host by its number:\n%s", got)
	}
}
