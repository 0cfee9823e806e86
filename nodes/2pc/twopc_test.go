package twopc_test

import (
	"testing"
	"time"

	"github.com/detsim/detsim/checker"
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

func TestBankTransfersConserveTheTotalUnderCrashes(t *testing.T) {
	wl := twopc.DefaultWorkload()
	wl.Kind, wl.Keys, wl.ReadPercent = twopc.Bank, 6, 25
	wl.StopAt = 3 * time.Second
	link := lan()
	link.LossRatio = 0.05
	c := newCluster(t, opts{seed: 2, clients: 3, wl: wl, link: link})
	c.crashShards(500*time.Millisecond, 2500*time.Millisecond, 400*time.Millisecond, 100*time.Millisecond)
	c.w.At(1300*time.Millisecond, func() { c.w.Host(c.topo.Coordinator).Crash() })
	c.w.At(1800*time.Millisecond, func() { c.w.Host(c.topo.Coordinator).Restart() })
	c.run(6 * time.Second)
	c.settled()
	total := 0
	for i := range c.topo.Shards {
		for k, v := range c.shard(i).Data() {
			if c.topo.ShardOf(k) == i && len(v) > 0 {
				total += v[len(v)-1]
			}
		}
	}
	// Accounts never written still hold their opening balance.
	for _, k := range wl.KeyNames() {
		if _, ok := c.shard(c.topo.ShardOf(k)).Data()[k]; !ok {
			total += wl.Balance
		}
	}
	if want := wl.Keys * wl.Balance; total != want {
		t.Errorf("the bank holds %d, not %d", total, want)
	}
	balances := make([]int64, wl.Keys)
	for i := range balances {
		balances[i] = int64(wl.Balance)
	}
	res := checker.Check(checker.BankModel(balances...), c.bank, checker.CheckOptions{Timeout: 10 * time.Second})
	if res.Verdict != checker.Ok {
		t.Fatalf("bank history: %v %v", res.Verdict, res.Failure)
	}
	if c.bank.Len() < 100 {
		t.Errorf("only %d bank operations", c.bank.Len())
	}
}

func TestHistoriesUnderFaultsAreStrictSerializable(t *testing.T) {
	for _, setup := range []struct {
		name   string
		proto  twopc.Protocol
		place  twopc.Placement
		faster bool
	}{
		{"2pc", twopc.TwoPhase, twopc.Apart, false},
		{"paxos-commit", twopc.PaxosCommit, twopc.Apart, false},
		{"paxos-commit/co-located", twopc.PaxosCommit, twopc.CoLocated, false},
		{"faster-paxos-commit", twopc.PaxosCommit, twopc.Apart, true},
	} {
		for _, kind := range []twopc.WorkloadKind{twopc.ListAppend, twopc.RWRegister} {
			t.Run(setup.name+"/"+string(kind), func(t *testing.T) {
				cfg := twopc.DefaultConfig()
				cfg.Protocol, cfg.Placement, cfg.Faster = setup.proto, setup.place, setup.faster
				wl := twopc.DefaultWorkload()
				wl.Kind, wl.StopAt = kind, 3*time.Second
				link := lan()
				link.LossRatio, link.DupRatio = 0.05, 0.02
				c := newCluster(t, opts{seed: 4, clients: 4, cfg: cfg, wl: wl, link: link})
				c.crashShards(400*time.Millisecond, 3*time.Second, 500*time.Millisecond, 150*time.Millisecond)
				c.w.At(1700*time.Millisecond, func() { c.w.Host(c.topo.Coordinator).Crash() })
				c.w.At(2300*time.Millisecond, func() { c.w.Host(c.topo.Coordinator).Restart() })
				c.run(6 * time.Second)
				c.settled()
				check := checker.CheckListAppend
				if kind == twopc.RWRegister {
					check = checker.CheckRWRegister
				}
				res, err := check(c.txns.Txns(), checker.TxnOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Verdict(checker.StrictSerializable) != checker.Ok {
					t.Fatalf("%v", res)
				}
				// Paxos Commit sends each vote to F+1 acceptors only, so a
				// lost vote waits for the leader's next Prepare, with its
				// locks held: fewer commit than with two-phase commit.
				if res.TxnsOK < 90 || res.TxnsInfo == 0 && res.TxnsFailed == 0 {
					t.Errorf("the faults did not bite: %v", res)
				}
			})
		}
	}
}
