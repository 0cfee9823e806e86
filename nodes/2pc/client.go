package twopc

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/sim"
)

// WorkloadKind is what a client's transactions do.
type WorkloadKind string

const (
	// ListAppend transactions append unique values to lists and read
	// whole lists (Elle's list-append).
	ListAppend WorkloadKind = "list-append"
	// RWRegister transactions write unique values to registers and read
	// them.
	RWRegister WorkloadKind = "rw-register"
	// Bank transactions move money between accounts, or read every
	// account; the total is conserved.
	Bank WorkloadKind = "bank"
)

// Workload configures the clients. It is plain data, with readable
// durations in JSON.
type Workload struct {
	Kind WorkloadKind `json:"kind"`
	// Keys is the number of keys (k0, k1, ...) or, for Bank, accounts
	// (a0, a1, ...).
	Keys int `json:"keys"`
	// OpsMin and OpsMax bound the micro-operations of a list-append or
	// rw-register transaction; ReadPercent of them are reads.
	OpsMin      int `json:"ops_min"`
	OpsMax      int `json:"ops_max"`
	ReadPercent int `json:"read_percent"`
	// Balance is every account's opening balance, TransferMax the largest
	// transfer; ReadPercent of bank transactions read every account.
	Balance     int `json:"balance"`
	TransferMax int `json:"transfer_max"`
	// AttemptTimeout is how long a client waits for answers before it
	// resends; Deadline how long it tries before it gives a transaction
	// up (as indeterminate once it has asked to commit).
	AttemptTimeout time.Duration `json:"attempt_timeout"`
	Deadline       time.Duration `json:"deadline"`
	// ThinkMin and ThinkMax bound the pause between transactions.
	ThinkMin time.Duration `json:"think_min"`
	ThinkMax time.Duration `json:"think_max"`
	// StopAt: no transaction begins after this (client's clock); 0 never
	// stops.
	StopAt time.Duration `json:"stop_at"`
}

// DefaultWorkload is list-append over a few hot keys.
func DefaultWorkload() Workload {
	return Workload{
		Kind: ListAppend, Keys: 10, OpsMin: 1, OpsMax: 4, ReadPercent: 50,
		Balance: 100, TransferMax: 30,
		AttemptTimeout: 30 * time.Millisecond, Deadline: 2 * time.Second,
		ThinkMin: 2 * time.Millisecond, ThinkMax: 20 * time.Millisecond,
	}
}

// KeysMax and OpsMax bound a workload's keys and the operations of one
// transaction: every key is named up front, and the checkers' work grows
// with a transaction's size, so a mistyped count would fill memory before
// it failed. BalanceMax keeps the bank's total, summed over every
// account, far from overflow.
const (
	KeysMax    = 100_000
	OpsMax     = 100
	BalanceMax = 1_000_000_000
)

// Validate reports the first bad field, by its JSON name.
func (w Workload) Validate() error {
	switch {
	case w.Kind != ListAppend && w.Kind != RWRegister && w.Kind != Bank:
		return fmt.Errorf("kind %q is none of %q, %q, %q", w.Kind, ListAppend, RWRegister, Bank)
	case w.Keys < 1 || w.Keys > KeysMax:
		return fmt.Errorf("keys must be in [1, %d] (is %d)", KeysMax, w.Keys)
	case w.Kind == Bank && w.Keys < 2:
		return fmt.Errorf("keys must be at least 2 for the bank, which moves money between accounts (is %d)", w.Keys)
	case w.OpsMin < 1 || w.OpsMax < w.OpsMin || w.OpsMax > OpsMax:
		return fmt.Errorf("ops_min (%d) and ops_max (%d) must satisfy 1 <= ops_min <= ops_max <= %d", w.OpsMin, w.OpsMax, OpsMax)
	case w.ReadPercent < 0 || w.ReadPercent > 100:
		return fmt.Errorf("read_percent must be in [0, 100] (is %d)", w.ReadPercent)
	case w.Kind == Bank && (w.Balance < 0 || w.Balance > BalanceMax || w.TransferMax < 1 || w.TransferMax > BalanceMax):
		return fmt.Errorf("balance must be in [0, %d] and transfer_max in [1, %d] (are %d and %d)", BalanceMax, BalanceMax, w.Balance, w.TransferMax)
	case w.AttemptTimeout <= 0 || w.Deadline < w.AttemptTimeout:
		return fmt.Errorf("attempt_timeout (%v) must be positive and at most deadline (%v)", w.AttemptTimeout, w.Deadline)
	case w.ThinkMin < 0 || w.ThinkMax < w.ThinkMin:
		return fmt.Errorf("think_min (%v) and think_max (%v) must satisfy 0 <= think_min <= think_max", w.ThinkMin, w.ThinkMax)
	case w.StopAt < 0:
		return fmt.Errorf("stop_at is negative (%v)", w.StopAt)
	}
	return nil
}

// KeyNames are the workload's keys, or accounts.
func (w Workload) KeyNames() []string {
	prefix := "k"
	if w.Kind == Bank {
		prefix = "a"
	}
	out := make([]string, w.Keys)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// InitialBalances are the bank's opening balances, by account.
func (w Workload) InitialBalances() map[string]int {
	out := map[string]int{}
	if w.Kind == Bank {
		for _, k := range w.KeyNames() {
			out[k] = w.Balance
		}
	}
	return out
}

// History is where clients record what they saw, in true virtual time
// (Now). Txns takes list-append and rw-register transactions, Bank the
// bank's transfers and reads.
type History struct {
	Txns *checker.TxnHistory
	Bank *checker.History[checker.BankInput, checker.BankOutput]
	Now  func() time.Duration
}

// clientPhase is where the client's current transaction stands.
type clientPhase uint8

const (
	idle clientPhase = iota
	executing
	committing
)

type attemptTag struct{ seq uint64 }
type thinkTag struct{}

// Client runs transactions one at a time: it executes each on its shards,
// asks the first shard to commit, and records the outcome.
type Client struct {
	wl    Workload
	topo  Topology
	index int // from 0
	hist  History
	env   sim.Env
	keys  []string

	epoch, n uint64
	phase    clientPhase
	txn      TxnID
	prio     Priority
	ops      []Op
	shardOps [][]int // by shard: indexes into ops, in order
	parts    []int
	partOps  [][]Op // by position in parts: the operations each Execute carries
	results  [][]int
	answered []bool // by position in parts
	epochs   []uint64
	began    time.Duration
	timer    sim.TimerID
	attempt  any // the transaction's attemptTag, boxed once for its every attempt
	values   int // unique values written so far

	// The history entry of the current transaction.
	txnID  checker.TxnID
	mops   []checker.Mop
	done   []checker.Mop // the results recordCommit gives the history, which copies them
	bankID checker.OpID
	bankIn checker.BankInput
}

// NewClient returns the factory of client number index (from 0, below
// 999: the values a client writes end in its number).
func NewClient(wl Workload, topo Topology, index int, hist History) sim.Factory {
	topo = topo.clone()
	return func() sim.Node { return &Client{wl: wl, topo: topo, index: index, hist: hist, keys: wl.KeyNames()} }
}

func (c *Client) id() uint64 { return uint64(c.index + 1) }

func (c *Client) now() time.Duration {
	if c.hist.Now != nil {
		return c.hist.Now()
	}
	return c.env.Now()
}

// Start bumps the client's epoch in storage, so that a restarted client
// never reuses a transaction id, and begins.
func (c *Client) Start(env sim.Env) {
	c.env = env
	key := "2pc/client/epoch"
	if b, err := env.Storage().Get(key); err == nil && len(b) == 8 {
		c.epoch = binary.BigEndian.Uint64(b)
	}
	c.epoch++
	env.Storage().Set(key, binary.BigEndian.AppendUint64(nil, c.epoch))
	env.Storage().Sync()
	c.think()
}

func (c *Client) think() {
	c.phase = idle
	d := c.wl.ThinkMin
	if span := c.wl.ThinkMax - c.wl.ThinkMin; span > 0 {
		d += time.Duration(c.env.Rand().Int64N(int64(span) + 1))
	}
	c.timer = c.env.After(d, thinkTag{})
}

func (c *Client) Timer(id sim.TimerID, tag any) {
	if id != c.timer {
		return
	}
	switch tg := tag.(type) {
	case thinkTag:
		if c.wl.StopAt > 0 && c.env.Now() >= c.wl.StopAt {
			return
		}
		c.begin()
	case attemptTag:
		if tg.seq != c.txn.Seq {
			return
		}
		expired := c.env.Now()-c.began >= c.wl.Deadline
		switch c.phase {
		case executing:
			if expired {
				// No commit was asked for, so none can happen.
				c.abandon()
				c.recordAbort(false)
				c.think()
				return
			}
			c.sendExecutes()
		case committing:
			if expired {
				c.abandon() // indeterminate: it stays open in the history
				c.think()
				return
			}
			c.sendCommit()
		}
	}
}

// begin draws the next transaction and executes it.
func (c *Client) begin() {
	c.n++
	c.txn = TxnID{Client: c.id(), Seq: c.epoch<<32 | c.n}
	c.attempt = nil
	c.began = c.env.Now()
	c.prio = Priority{Start: c.began, Client: c.id()}
	c.draw()
	if c.shardOps == nil {
		c.shardOps = make([][]int, len(c.topo.Shards))
	}
	for s := range c.shardOps {
		c.shardOps[s] = c.shardOps[s][:0]
	}
	// parts is a fresh slice: the CommitRequest of the last transaction
	// may still hold the old one. A transaction has a shard per
	// operation at most.
	c.parts = make([]int, 0, min(len(c.ops), len(c.topo.Shards)))
	for i, op := range c.ops {
		s := c.topo.ShardOf(op.Key)
		if len(c.shardOps[s]) == 0 {
			c.parts = append(c.parts, s)
		}
		c.shardOps[s] = append(c.shardOps[s], i)
	}
	slices.Sort(c.parts)
	// The operations of every Execute of this transaction, retries
	// included, in one fresh array: the messages are Immutable, and the
	// client never writes the array again.
	grouped := make([]Op, 0, len(c.ops))
	c.partOps = c.partOps[:0]
	for _, s := range c.parts {
		from := len(grouped)
		for _, j := range c.shardOps[s] {
			grouped = append(grouped, c.ops[j])
		}
		c.partOps = append(c.partOps, grouped[from:len(grouped):len(grouped)])
	}
	// results and answered are the client's own; epochs goes out in the
	// CommitRequest, so it is fresh.
	c.results = slices.Grow(c.results[:0], len(c.ops))[:len(c.ops)]
	clear(c.results)
	c.answered = slices.Grow(c.answered[:0], len(c.parts))[:len(c.parts)]
	clear(c.answered)
	c.epochs = make([]uint64, len(c.parts))
	at := c.now()
	if c.wl.Kind == Bank {
		c.bankID = c.hist.Bank.Invoke(c.index+1, c.bankIn, at)
	} else {
		c.txnID = c.hist.Txns.Invoke(c.index, c.mops, at)
	}
	c.phase = executing
	c.sendExecutes()
}

// draw picks the transaction's operations.
func (c *Client) draw() {
	rng := c.env.Rand()
	// Both are only read until the next transaction: Execute carries
	// copies of the operations, and the history copies the mops.
	c.ops, c.mops = c.ops[:0], c.mops[:0]
	// Written values are unique across clients and restarts, and short
	// enough to read in a report: the client's count, then its number.
	unique := func() int {
		c.values++
		return (int(c.epoch-1)*1_000_000+c.values)*1000 + int(c.id())
	}
	if c.wl.Kind == Bank {
		if rng.IntN(100) < c.wl.ReadPercent {
			c.bankIn = checker.BankInput{Kind: checker.BankRead}
			for _, k := range c.keys {
				c.ops = append(c.ops, Op{Kind: OpRead, Key: k})
			}
			return
		}
		from := rng.IntN(len(c.keys))
		to := (from + 1 + rng.IntN(len(c.keys)-1)) % len(c.keys)
		amount := 1 + rng.IntN(c.wl.TransferMax)
		c.bankIn = checker.BankInput{Kind: checker.BankTransfer, From: from, To: to, Amount: int64(amount)}
		c.ops = []Op{{Kind: OpAdd, Key: c.keys[from], Value: -amount}, {Kind: OpAdd, Key: c.keys[to], Value: amount}}
		return
	}
	n := c.wl.OpsMin + rng.IntN(c.wl.OpsMax-c.wl.OpsMin+1)
	for range n {
		k := c.keys[rng.IntN(len(c.keys))]
		switch {
		case rng.IntN(100) < c.wl.ReadPercent:
			c.ops = append(c.ops, Op{Kind: OpRead, Key: k})
			c.mops = append(c.mops, checker.Mop{Kind: checker.MopRead, Key: k})
		case c.wl.Kind == ListAppend:
			v := unique()
			c.ops = append(c.ops, Op{Kind: OpAppend, Key: k, Value: v})
			c.mops = append(c.mops, checker.AppendMop(k, v))
		default:
			v := unique()
			c.ops = append(c.ops, Op{Kind: OpWrite, Key: k, Value: v})
			c.mops = append(c.mops, checker.WriteMop(k, v))
		}
	}
}

func (c *Client) sendExecutes() {
	for i, s := range c.parts {
		if !c.answered[i] {
			c.env.Send(c.topo.Shards[s], Execute{Txn: c.txn, Priority: c.prio, Ops: c.partOps[i]})
		}
	}
	c.arm()
}

func (c *Client) sendCommit() {
	c.env.Send(c.topo.Shards[c.parts[0]], CommitRequest{Txn: c.txn, Participants: c.parts, Epochs: c.epochs})
	c.arm()
}

func (c *Client) arm() {
	c.env.Cancel(c.timer)
	if c.attempt == nil {
		c.attempt = attemptTag{c.txn.Seq}
	}
	c.timer = c.env.After(c.wl.AttemptTimeout, c.attempt)
}

// abandon tells every participant to drop the transaction; those that have
// prepared it ignore this and wait for the decision.
func (c *Client) abandon() {
	c.env.Cancel(c.timer)
	var abort any = AbortRequest{Txn: c.txn} // boxed once for every participant
	for _, s := range c.parts {
		c.env.Send(c.topo.Shards[s], abort)
	}
}

func (c *Client) Receive(from sim.HostID, msg any) {
	switch m := msg.(type) {
	case Executed:
		if c.phase != executing || m.Txn != c.txn {
			return
		}
		i := slices.Index(c.parts, m.Shard)
		if i < 0 || c.answered[i] {
			return
		}
		if !m.OK {
			c.abandon()
			c.recordAbort(m.Refused)
			c.think()
			return
		}
		c.answered[i] = true
		c.epochs[i] = m.Epoch
		for j, idx := range c.shardOps[m.Shard] {
			if j < len(m.Results) {
				c.results[idx] = m.Results[j]
			}
		}
		if !slices.Contains(c.answered, false) {
			c.phase = committing
			c.sendCommit()
		}
	case Outcome:
		if c.phase != committing || m.Txn != c.txn {
			return
		}
		c.env.Cancel(c.timer)
		if m.Commit {
			c.recordCommit()
		} else {
			c.abandon()
			c.recordAbort(false)
		}
		c.think()
	}
}

func (c *Client) recordCommit() {
	at := c.now()
	if c.wl.Kind == Bank {
		out := checker.BankOutput{OK: true}
		if c.bankIn.Kind == checker.BankRead {
			out = checker.BankOutput{Balances: make([]int64, len(c.ops))}
			for i, r := range c.results {
				if len(r) > 0 {
					out.Balances[i] = int64(r[len(r)-1])
				}
			}
		}
		c.hist.Bank.Complete(c.bankID, out, at)
		return
	}
	res := slices.Grow(c.done[:0], len(c.mops))[:len(c.mops)]
	c.done = res
	for i, m := range c.mops {
		res[i] = m
		if m.Kind != checker.MopRead {
			continue
		}
		r := c.results[i]
		if c.wl.Kind == ListAppend {
			res[i].List = r // Complete copies it
			if res[i].List == nil {
				res[i].List = []int{}
			}
		} else if len(r) > 0 {
			res[i].Value, res[i].Found = r[len(r)-1], true
		}
	}
	c.hist.Txns.Complete(c.txnID, res, at)
}

// recordAbort records a transaction that certainly did not commit. A bank
// transfer refused for want of funds completed, as not OK.
func (c *Client) recordAbort(refused bool) {
	at := c.now()
	if c.wl.Kind == Bank {
		if refused {
			c.hist.Bank.Complete(c.bankID, checker.BankOutput{}, at)
		} else {
			c.hist.Bank.Fail(c.bankID)
		}
		return
	}
	c.hist.Txns.Fail(c.txnID, at)
}
