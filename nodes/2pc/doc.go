// Package twopc is a sharded transactional key-value store with atomic
// commitment, written as pure state machines on sim.Env: two-phase commit
// with presumed abort and a write-ahead log, and Gray and Lamport's Paxos
// Commit as a configuration of the same system (Config.Protocol).
//
// # Hosts
//
// Every host is built with one Topology: a Coordinator (two-phase commit's
// coordinator, Paxos Commit's leader), the Shards (participants; a key
// lives on Shards[Topology.ShardOf(key)]) and, for Paxos Commit, 2F+1
// Acceptors. Clients (NewClient) run the workload. Place lays a topology
// out by Config.Placement: every part on a host of its own (Apart), or,
// for Paxos Commit, acceptor 0 on the leader's host (LeaderWithAcceptor)
// or every part on the shards' hosts (CoLocated), the configurations in
// which Gray and Lamport count the protocol's cost. NewHost builds a
// host's node: a Host runs the parts of a shared host side by side, and a
// message between them is a local call that never reaches the network.
//
// # A transaction
//
//  1. Execute. The client sends each shard its operations (Execute). The
//     shard takes the keys' locks in key order (shared for reads,
//     exclusive for writes), runs the operations on a private view of its
//     committed data and answers with the reads (Executed), keeping the
//     locks. Conflicts are settled by wait-die on the transaction's
//     Priority (its start): an older transaction waits for younger
//     holders, a younger one is aborted, so waits never form a cycle;
//     LockWait bounds the waits that remain. A shard may abort a
//     transaction it has not voted on at any time (ActiveTimeout).
//  2. Commit. The client asks the first participant, the initiator
//     (CommitRequest). It prepares and sends BeginCommit, which carries
//     its yes vote, to the coordinator, which sends Prepare to the other
//     participants.
//  3. Prepare. A participant forces its PREPARED record (the writes, the
//     locks, the participants) to storage before it votes yes. It votes no
//     if it no longer holds the transaction (aborted, or lost in a crash:
//     Executed carries the shard's incarnation, and a shard that restarted
//     since votes no). Until it has voted yes it may abort on its own;
//     after, only the decision ends the transaction.
//  4. Decide. Two-phase commit: the coordinator collects the votes (asking
//     again every ResendInterval those that have not voted; abort on a no
//     or after VoteTimeout), forces its decision to its log, then
//     sends it to the participants and the outcome to the client; commits
//     are resent until acknowledged. Paxos Commit: each participant sends
//     its vote as ballot 0 of its own Paxos instance to F+1 acceptors
//     (Acceptors[0..F]), enough to choose it; each of them, once it holds
//     every instance's vote (or a no), forces them in one write and
//     reports all of them to the leader in one message; the leader decides
//     commit when F+1 acceptors accepted Prepared for every instance, and
//     sends the decision (nothing to force: the acceptors hold it). The
//     initiator's BeginCommit travels in one Bundle with its vote when an
//     acceptor shares the leader's host. Only after VoteTimeout does the
//     leader go to every acceptor, with a ballot of its own (phase 1, then
//     phase 2 with the values found and Aborted for instances that chose
//     nothing), again every VoteTimeout until decided. Faster Paxos
//     Commit (Config.Faster) sends the acceptors' reports to every
//     participant instead, and each learns the outcome itself, one
//     message delay sooner; the leader only sends Prepare, once, and the
//     participants' own ballots finish what goes wrong.
//  5. End. A participant applies a commit's writes, records the outcome
//     and removes its PREPARED record in one sync, then releases the locks
//     (strict two-phase locking).
//
// # Presumed abort
//
// Only commits are acknowledged and resent. A transaction the coordinator
// has no record of was never decided commit, so a participant asking about
// it is told abort; the coordinator forces that answer first, so that a
// late BeginCommit cannot commit it afterwards. Decision records are kept
// for the whole run: a kept record means a duplicate can never find a
// finished transaction forgotten.
//
// # Recovery and termination
//
// A restarted coordinator resends every commit in its log that not every
// participant acknowledged. A restarted participant restores its prepared
// transactions, locks included, and asks for their outcome at once. A
// prepared participant that waits DecisionTimeout for a decision asks
// again, with doubling waits up to DecisionRetryMax. In two-phase commit
// it asks the coordinator and the other participants (cooperative
// termination): a participant that knows the outcome answers, one that has
// not voted aborts (durably) and answers abort, one in doubt stays silent.
// While the coordinator is down and every participant has voted yes,
// nobody can answer: the transaction blocks, its locks held. In Paxos
// Commit the participant instead runs a ballot of its own (Phase1a, then
// Phase2a with the values phase 1 found and Aborted for instances that
// chose nothing) and learns the outcome from F+1 acceptors, so with at
// most F acceptors down no coordinator failure blocks it.
//
// # Planted bugs
//
// Config.Bugs plants the classic mistakes: a PREPARED record not synced, a
// COMMIT sent before it is forced, an abort after a yes vote, a retried
// commit applied twice, locks released at prepare. Package twopccheck
// finds the first three as atomicity violations; the last two need the
// client history's transactional check.
//
// # Checking
//
// Set Config.Observer to a twopccheck.Atomicity and register its Check as
// a world hook. Clients record list-append and rw-register transactions in
// a checker.TxnHistory and bank operations in a checker.History for
// checker.BankModel.
package twopc
