package net_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

// TestFaultsSpeakHostNames: the trace's account of every network fault
// names the hosts, never their bare ids.
func TestFaultsSpeakHostNames(t *testing.T) {
	var text bytes.Buffer
	sink := sim.NewTextSink(&text)
	w, err := sim.NewWorld(sim.Options{Seed: 1, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	n, err := simnet.New(w, simnet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"east", "west", "north"} {
		if _, err := w.AddHost(sim.HostConfig{Name: name, Factory: func() sim.Node { return &inbox{w: w} }}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(n.Partition([]sim.HostID{0}, []sim.HostID{1, 2}))
	must(n.Cut(2, 0))
	must(n.Connect(2, 0))
	must(n.Isolate(1))
	must(n.Clog(2))
	must(n.Unclog(2))
	must(n.ClogLink(0, 1))
	must(n.UnclogLink(0, 1))
	must(n.SetLink(1, 2, simnet.Link{LossRatio: 0.5}))
	if err := n.Partition([]sim.HostID{0}, []sim.HostID{0}); err == nil || !strings.Contains(err.Error(), "host east is in groups 0 and 1") {
		t.Errorf("a bad partition's error is %v", err)
	}
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
	got := text.String()
	for _, want := range []string{"partition [[east] [west north]]", "cut north->east", "connect north->east", "isolate west",
		"clog north", "unclog north", "clog east->west", "unclog east->west", "link west->north set to"} {
		if !strings.Contains(got, want) {
			t.Errorf("the trace does not say %q:\n%s", want, got)
		}
	}
	if bare := regexpBareID.FindString(got); bare != "" {
		t.Errorf("the trace names a host %s:\n%s", bare, got)
	}
}

var regexpBareID = regexp.MustCompile(`\bh[0-9]+\b`)
