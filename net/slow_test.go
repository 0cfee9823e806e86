package net_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
)

func TestSlowDelaysOneDirectionOnly(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{Latency: simnet.Constant{D: time.Millisecond}})
	if err := c.n.Slow(1, 0, 40*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := c.w.Now()
	c.send(0, 1, "ping")
	c.send(1, 0, "pong")
	c.w.RunFor(time.Second)
	if got := c.nodes[1].at[0] - start; got != time.Millisecond {
		t.Errorf("0->1 took %v; the fast direction should keep its 1ms", got)
	}
	if got := c.nodes[0].at[0] - start; got != 41*time.Millisecond {
		t.Errorf("1->0 took %v; want 1ms of latency plus 40ms slow", got)
	}
	if got := c.n.Slowed(1, 0); got != 40*time.Millisecond {
		t.Errorf("Slowed(1, 0) = %v, want 40ms", got)
	}
}

func TestSlowLeavesMessagesInFlightAndEndsWithResetLinks(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{Latency: simnet.Constant{D: 10 * time.Millisecond}})
	start := c.w.Now()
	c.send(0, 1, "before")
	if err := c.n.Slow(0, 1, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c.send(0, 1, "during")
	c.n.ResetLinks()
	c.send(0, 1, "after")
	c.w.RunFor(time.Second)
	want := []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 110 * time.Millisecond}
	var got []time.Duration
	for _, at := range c.nodes[1].at {
		got = append(got, at-start)
	}
	if !slices.Equal(got, want) || c.nodes[1].got[2] != "during" {
		t.Errorf("arrivals %v of %v, want %v with the slowed message last", got, c.nodes[1].got, want)
	}
	if c.n.Slowed(0, 1) != 0 {
		t.Errorf("ResetLinks left the link slow by %v", c.n.Slowed(0, 1))
	}
}

func TestSlowOnAFIFOLinkKeepsSendOrder(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{Latency: simnet.Constant{D: time.Millisecond}, FIFO: true})
	if err := c.n.Slow(0, 1, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c.send(0, 1, "first")
	if err := c.n.Slow(0, 1, 0); err != nil {
		t.Fatal(err)
	}
	c.send(0, 1, "second")
	c.w.RunFor(time.Second)
	if !slices.Equal(c.nodes[1].got, []any{"first", "second"}) {
		t.Errorf("a FIFO link delivered %v: a message overtook a slowed one", c.nodes[1].got)
	}
}

func TestSlowRejectsBadArguments(t *testing.T) {
	c := newCluster(t, 2, simnet.Link{})
	for _, tc := range []struct {
		from, to int
		extra    time.Duration
		want     string
	}{
		{0, 1, -time.Millisecond, "negative"},
		{0, 9, time.Millisecond, "unknown host id 9"},
		{-1, 0, time.Millisecond, "Slow from"},
	} {
		err := c.n.Slow(sim.HostID(tc.from), sim.HostID(tc.to), tc.extra)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Slow(%d, %d, %v) = %v, want an error naming %q", tc.from, tc.to, tc.extra, err, tc.want)
		}
	}
}
