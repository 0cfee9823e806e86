package twopc

import "github.com/detsim/detsim/sim"

// Observer is told, synchronously, of every step that atomic commitment
// depends on, so that a checker can judge a run after every event. Shards
// are numbered from 0 in Topology order.
type Observer interface {
	// Prepared: shard voted yes on txn, having written its PREPARED
	// record (synced unless a bug says otherwise).
	Prepared(shard int, txn TxnID)
	// Finished: shard ended txn, committing or aborting it. durable says
	// the ending survives a crash: always so for a transaction the shard
	// had prepared; an abort before the vote is durable only once others
	// were told of it. A crash forgets the other aborts, and the shard may
	// then run the transaction afresh. A shard may report a durable ending
	// again after a crash.
	Finished(shard int, txn TxnID, commit, durable bool)
	// Decided: host (a coordinator, or in Paxos Commit any learner) decided
	// txn's outcome.
	Decided(host sim.HostID, txn TxnID, commit bool)
	// VotedNo: shard voted no on txn (it had aborted it, or no longer
	// held it).
	VotedNo(shard int, txn TxnID)
	// InDoubt: shard timed out waiting for txn's decision and began to ask
	// for it: the transaction is blocked there until Finished.
	InDoubt(shard int, txn TxnID)
	// Queried: shard sent a round of termination queries (or a recovery
	// ballot) for txn.
	Queried(shard int, txn TxnID)
	// Recovered: host restarted (or booted) and restored inDoubt, the
	// transactions it holds prepared, sorted; nil for a coordinator.
	Recovered(host sim.HostID, shard int, inDoubt []TxnID)
}

type nopObserver struct{}

func (nopObserver) Prepared(int, TxnID)                {}
func (nopObserver) Finished(int, TxnID, bool, bool)    {}
func (nopObserver) Decided(sim.HostID, TxnID, bool)    {}
func (nopObserver) VotedNo(int, TxnID)                 {}
func (nopObserver) InDoubt(int, TxnID)                 {}
func (nopObserver) Queried(int, TxnID)                 {}
func (nopObserver) Recovered(sim.HostID, int, []TxnID) {}

func observer(c Config) Observer {
	if c.Observer == nil {
		return nopObserver{}
	}
	return c.Observer
}
