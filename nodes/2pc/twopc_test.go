package twopc_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/2pc"
)

func TestTransactionsCommitOnAHealthyCluster(t *testing.T) {
	for _, proto := range []twopc.Protocol{twopc.TwoPhase, twopc.PaxosCommit} {
		t.Run(string(proto), func(t *testing.T) {
			cfg := twopc.DefaultConfig()
			cfg.Protocol = proto
			wl := twopc.DefaultWorkload()
			wl.StopAt = 3 * time.Second
			c := newCluster(t, opts{seed: 1, clients: 3, cfg: cfg, wl: wl})
			c.run(5 * time.Second)
			ok, failed, info := countStatus(c.txns.Txns())
			t.Logf("ok=%d failed=%d info=%d committed=%d aborted=%d", ok, failed, info, c.atom.Committed(), c.atom.Aborted())
			if ok < 100 {
				t.Errorf("only %d transactions committed", ok)
			}
			if info > 0 {
				t.Errorf("%d transactions indeterminate on a healthy network", info)
			}
			c.settled()
		})
	}
}
