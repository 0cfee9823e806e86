// Package clean is a node written to the contract: it gives no report.
package clean

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

type env interface {
	Now() time.Time
	After(d time.Duration) int
	Send(to int, msg any)
	Rand() *rand.Rand
}

type node struct {
	env     env
	acks    map[int]time.Time
	rttMean float64
}

func (n *node) Timer(id int) {
	for _, peer := range slices.Sorted(maps.Keys(n.acks)) {
		n.env.Send(peer, "ping")
	}
	jitter := time.Duration(n.env.Rand().Int64N(int64(10 * time.Millisecond)))
	n.env.After(100*time.Millisecond + jitter)
}

func (n *node) Receive(from int, sent time.Time) {
	rtt := float64(n.env.Now().Sub(sent))
	const alpha = 0.125
	n.rttMean = float64((1-alpha)*n.rttMean) + float64(alpha*rtt)
	n.acks[from] = n.env.Now()
	live, now := 0, n.env.Now()
	for _, at := range n.acks {
		if now.Sub(at) < time.Second {
			live++
		}
	}
	_ = math.Sqrt(float64(live))
}
