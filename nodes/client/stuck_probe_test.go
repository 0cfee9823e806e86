package client

import (
	"testing"
	"time"
)

// TestDeadlineDuringProbeFreesTheBreaker: an operation whose deadline fires
// while its half-open probe is unanswered must count that probe as failed.
// Otherwise the breaker waits for the probe's answer forever and refuses
// every later attempt: a Raft sweep found clients starved for a whole heal
// phase this way. Each seed cuts the server's replies off for a while,
// then heals; some operation after the heal must succeed.
func TestDeadlineDuringProbeFreesTheBreaker(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		tb := newTestbed(t, seed, 1)
		cfg := tb.config(1)
		// The first attempt times out at 100ms and opens the breaker; it
		// is half-open again at 120ms, and the retry (backoff up to 40ms)
		// goes out as its probe in about half the seeds, to be cut short
		// by the 150ms deadline.
		cfg.TimeoutAttempt = 100 * ms
		cfg.Deadline = 150 * ms
		cfg.BackoffBase, cfg.BackoffMax = 40*ms, 40*ms
		cfg.BreakerFailures, cfg.BreakerReset = 1, 20*ms
		client, d := tb.addDriver(cfg)
		must(t, tb.net.Cut(tb.servers[0], client))
		tb.w.At(300*ms, func() { must(t, tb.net.Connect(tb.servers[0], client)) })
		put := Op{Kind: OpPut, Key: "k", Value: "v"}
		for at := time.Duration(0); at < 2*time.Second; at += 200 * ms {
			tb.do(at, d, put)
		}
		tb.run(3 * time.Second)
		ok := 0
		for _, o := range d().outs {
			if o.Verdict == VerdictOK {
				ok++
			}
		}
		if ok == 0 {
			t.Fatalf("seed %d: no operation succeeded in the 1.7s after the heal; the breaker is stuck in %v", seed, d().c.Breaker())
		}
	}
}
