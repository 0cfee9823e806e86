package twopcsys

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/nodes/2pc/twopccheck"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Names of the system's programs and counters.
const (
	ProgramCommitHeardByOne = "commit-heard-by-one"

	CounterBlockedMs          = "blocked-ms"
	CounterTxnsStuck          = "txns-stuck"
	CounterTxnsCommitted      = "txns-committed"
	CounterTxnsAborted        = "txns-aborted"
	CounterRecoveries         = "recoveries"
	CounterTerminationQueries = "termination-queries"
	CounterMessagesPerTxn     = "messages-per-txn"
	CounterVotesNo            = "votes-no"
)

//go:embed scenarios/*.json
var builtin embed.FS

// System is the transactional key-value store of package twopc: server n1
// is the coordinator (Paxos Commit's leader), the next servers are the
// shards, and with Paxos Commit the last 2F+1 are the acceptors, unless
// the config's placement shares hosts between them.
var System = system.MustDefine(system.Spec[Config, twopc.Workload]{
	Name:        "2pc",
	Description: "sharded transactions of nodes/2pc: strict 2PL, two-phase commit with a WAL, recovery and cooperative termination, or Paxos Commit",
	Config:      DefaultConfig,
	Workload:    twopc.DefaultWorkload,
	Validate:    validate,
	Build:       build,
	Rate:        rate,
	Promises:    system.Promises{History: true, Invariants: true},
	Programs: []system.ProgramKind{
		{Name: ProgramCommitHeardByOne, Description: "at the coordinator's next commit of a multi-shard transaction, only one shard hears it, and that shard crashes with the coordinator (both restart 3s later)"},
	},
	Counters: []system.Counter{
		{Name: CounterBlockedMs, Description: "milliseconds shards held transactions in doubt past their decision timeout"},
		{Name: CounterTxnsStuck, Description: "transactions some shard held in doubt for at least stuck_after"},
		{Name: CounterTxnsCommitted, Description: "transactions committed"},
		{Name: CounterTxnsAborted, Description: "transactions aborted"},
		{Name: CounterRecoveries, Description: "restarts of the coordinator and the shards"},
		{Name: CounterTerminationQueries, Description: "rounds of termination queries (two-phase commit) or recovery ballots (Paxos Commit)"},
		{Name: CounterMessagesPerTxn, Description: "messages sent per committed transaction"},
		{Name: CounterVotesNo, Description: "no votes: a shard asked to prepare a transaction it had aborted or lost"},
	},
	Scenarios: system.ScenarioDir(builtin, "scenarios"),
})

// rate paces each client at perClient operations per second: its think
// time between an answer and its next request is 1/perClient on average.
func rate(wl *twopc.Workload, perClient float64) error {
	wl.ThinkMin, wl.ThinkMax = system.ThinkTimes(perClient)
	return nil
}

func shards(cfg Config, shape system.Shape) int {
	return cfg.Placement.ShardsOn(shape.Servers, cfg.Acceptors())
}

func validate(cfg Config, wl twopc.Workload, shape system.Shape) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("system.config: %w", err)
	}
	if shape.Spares > 0 {
		return errors.New("spares: the 2pc system has no membership changes")
	}
	if n := shards(cfg, shape); n < 1 {
		return fmt.Errorf("servers: %s with f=%d placed %s needs at least %d servers; has %d",
			cfg.Protocol, cfg.F, cfg.Placement, cfg.Placement.Hosts(1, cfg.Acceptors()), shape.Servers)
	}
	if shape.Clients > 999 {
		return fmt.Errorf("clients: at most 999, whose numbers end every value they write (has %d)", shape.Clients)
	}
	if shape.Clients > 0 {
		if err := wl.Validate(); err != nil {
			return fmt.Errorf("workload: %w", err)
		}
	}
	return nil
}

// cluster is a transaction system under test.
type cluster struct {
	w        *sim.World
	cfg      Config
	topo     twopc.Topology
	servers  []sim.HostID
	atom     *twopccheck.Atomicity
	tap      *tap
	initial  []int64
	accounts []string
	bank     bool
	sent     func() uint64
}

func build(cfg Config, wl twopc.Workload, c *system.Cluster) (*system.Instance, error) {
	r := &cluster{w: c.World, cfg: cfg, servers: c.ServerIDs(), bank: wl.Kind == twopc.Bank}
	r.sent = func() uint64 { return c.Net.Counters().Sent }
	r.atom = twopccheck.New(c.World.Now, func(h sim.HostID) string { return c.World.Host(h).Name() })
	r.atom.StuckAfter = cfg.StuckAfter
	r.tap = &tap{Atomicity: r.atom}
	pc := cfg.Config
	pc.Observer = r.tap
	if r.bank {
		pc.Initial = wl.InitialBalances()
		r.accounts = wl.KeyNames()
		for range r.accounts {
			r.initial = append(r.initial, int64(wl.Balance))
		}
	}
	topo, err := twopc.Place(pc, shards(cfg, c.Shape), r.servers)
	if err != nil {
		return nil, err
	}
	r.topo = topo
	for _, id := range r.servers {
		if _, err := c.AddServer(c.Peers(id), twopc.NewHost(pc, r.topo, id)); err != nil {
			return nil, err
		}
	}
	txns := &checker.TxnHistory{}
	bank := &checker.History[checker.BankInput, checker.BankOutput]{}
	hist := twopc.History{Txns: txns, Bank: bank, Now: c.World.Now}
	for i := 0; i < c.Shape.Clients; i++ {
		cw := wl
		if stop := c.ClientStop(); cw.StopAt == 0 || cw.StopAt > stop {
			cw.StopAt = stop
		}
		if _, err := c.AddClient(twopc.NewClient(cw, r.topo, i, hist)); err != nil {
			return nil, err
		}
	}
	inst := &system.Instance{
		Members:    c.ServerIDs,
		Leader:     r.leader,
		Invariant:  r.atom.Check,
		FinalCheck: r.final,
		Counter:    r.count,
		Program:    r.program,
	}
	want, _ := checker.ParseConsistency(cfg.Consistency)
	switch wl.Kind {
	case twopc.Bank:
		initial := r.initial
		inst.History = checker.Linearizable("bank", checker.BankModel(initial...), bank, checker.LinearizableOptions[checker.BankInput, checker.BankOutput]{
			Write: func(w io.Writer, h *checker.History[checker.BankInput, checker.BankOutput]) error {
				return checker.WriteBank(w, h, initial)
			},
			Writes: func(in checker.BankInput) bool { return in.Kind == checker.BankTransfer },
		})
	default:
		inst.History = RecordedTxns(string(wl.Kind), want, txns)
	}
	return inst, nil
}

// leader is the coordinator while it is up.
func (r *cluster) leader() sim.HostID {
	if r.w.Host(r.topo.Coordinator).Up() {
		return r.topo.Coordinator
	}
	return sim.NoHost
}

func (r *cluster) shard(i int) *twopc.Participant {
	h := r.w.Host(r.topo.Shards[i])
	if h == nil || !h.Up() {
		return nil
	}
	return twopc.ParticipantOf(h.Node())
}

// final is liveness after the heal: every transaction decided at every
// shard that voted yes, no lock held, blocking within its bound, and for
// the bank the total conserved.
func (r *cluster) final() error {
	if err := r.atom.Liveness(); err != nil {
		return err
	}
	var total int64
	for i := range r.topo.Shards {
		p := r.shard(i)
		name := r.w.Host(r.topo.Shards[i]).Name()
		if p == nil {
			return fmt.Errorf("shard %s is down at the end of the heal phase", name)
		}
		if d := p.InDoubt(); len(d) > 0 {
			return fmt.Errorf("shard %s still holds %v in doubt after the heal", name, d)
		}
		if l := p.LockedKeys(); len(l) > 0 {
			return fmt.Errorf("shard %s still holds locks on %v after the heal", name, l)
		}
		data := p.Data()
		for j, k := range r.accounts {
			if r.topo.ShardOf(k) != i {
				continue
			}
			v, ok := data[k]
			switch {
			case !ok:
				total += r.initial[j]
			case len(v) > 0:
				total += int64(v[len(v)-1])
			}
		}
	}
	if r.bank {
		var want int64
		for _, b := range r.initial {
			want += b
		}
		if total != want {
			return fmt.Errorf("the bank holds %d in all, not the %d it opened with", total, want)
		}
	}
	if max := r.cfg.InDoubtMax; max > 0 && r.atom.LongestInDoubt() > max {
		return fmt.Errorf("a transaction stayed in doubt for %v, beyond in_doubt_max %v: it blocked", r.atom.LongestInDoubt().Round(time.Millisecond), max)
	}
	return nil
}

func (r *cluster) count(name string) int {
	switch name {
	case CounterBlockedMs:
		return int(r.atom.BlockedTime() / time.Millisecond)
	case CounterTxnsStuck:
		return r.atom.Stuck()
	case CounterTxnsCommitted:
		return r.atom.Committed()
	case CounterTxnsAborted:
		return r.atom.Aborted()
	case CounterRecoveries:
		return r.atom.Recoveries()
	case CounterTerminationQueries:
		return r.atom.Queries()
	case CounterVotesNo:
		return r.atom.VotesNo()
	case CounterMessagesPerTxn:
		return int(r.sent() / uint64(max(1, r.atom.Committed())))
	}
	return 0
}

// tap passes every observation to the checker and lets a program react to
// decisions before they are sent.
type tap struct {
	*twopccheck.Atomicity
	onDecided func(host sim.HostID, txn twopc.TxnID, commit bool)
}

func (t *tap) Decided(host sim.HostID, txn twopc.TxnID, commit bool) {
	t.Atomicity.Decided(host, txn, commit)
	if t.onDecided != nil {
		t.onDecided(host, txn, commit)
	}
}

// program starts commit-heard-by-one: at the coordinator's next commit
// decision for a transaction it is told of with two shards or more, the
// coordinator's links to every shard but one are cut before the decision
// goes out; once that shard has applied it, it crashes with the
// coordinator. The others stay prepared with nobody left who knows.
func (r *cluster) program(name string, n system.Nemesis) func() {
	if name != ProgramCommitHeardByOne {
		return func() {}
	}
	armed := true
	r.tap.onDecided = func(host sim.HostID, txn twopc.TxnID, commit bool) {
		if !armed || !commit || host != r.topo.Coordinator {
			return
		}
		parts := r.participants(txn)
		if len(parts) < 2 {
			return
		}
		armed = false
		heard := parts[n.Rand().IntN(len(parts))]
		w, net := n.World(), n.Net()
		for _, s := range r.topo.Shards {
			if s != heard {
				net.Cut(r.topo.Coordinator, s)
			}
		}
		now := w.Now()
		w.After(50*time.Millisecond, func() {
			w.Host(r.topo.Coordinator).Crash()
			w.Host(heard).Crash()
			net.Heal()
			n.Struck(ProgramCommitHeardByOne, fmt.Sprintf("only %s heard COMMIT of %v", w.Host(heard).Name(), txn), now, w.Now()+3*time.Second, r.topo.Coordinator, heard)
		})
		w.After(3050*time.Millisecond, func() {
			w.Host(r.topo.Coordinator).Restart()
			w.Host(heard).Restart()
		})
	}
	return func() { armed = false }
}

// participants are the shards that hold txn prepared now.
func (r *cluster) participants(txn twopc.TxnID) []sim.HostID {
	var out []sim.HostID
	for i, id := range r.topo.Shards {
		if p := r.shard(i); p != nil && slices.Contains(p.InDoubt(), txn) {
			out = append(out, id)
		}
	}
	return out
}
