// Package twopcsys puts the transaction system of package twopc behind the
// system contract (package system), with its built-in scenarios as
// embedded JSON.
//
// # The cluster
//
// Server n1 is the coordinator (Paxos Commit's leader, the "leader" of
// fault targets); the next servers are the shards; with Paxos Commit the
// last 2F+1 are the acceptors. So two-phase commit over three shards takes
// 4 servers, and Paxos Commit with F=1 over three shards takes 7. The
// config's placement changes that for Paxos Commit (twopc.Place):
// "leader-with-acceptor" puts the first acceptor on n1 (6 servers for the
// same), "co-located" makes every server a shard, n1 the leader too, and
// puts the acceptors on the shards' servers (3 servers).
//
// # What a run is judged by
//
//  1. Invariants, after every event: atomic commitment as
//     twopccheck.Atomicity states it (no shard commits what another
//     aborts, no decision reversed, prepared state survives crashes).
//  2. Invariants, at the end (FinalCheck): every transaction decided at
//     every shard that voted yes, no lock held, the bank's total
//     conserved, and, when the configuration sets in_doubt_max, no
//     transaction in doubt for longer.
//  3. History: list-append and rw-register transactions are checked by the
//     transactional checker (checker.CheckListAppend, CheckRWRegister)
//     against the configuration's consistency model, strict serializable
//     by default (RecordedTxns); the bank's transfers and reads are checked
//     for linearizability under checker.BankModel.
//
// Counters report blocking (blocked-ms, txns-stuck), outcomes, recoveries,
// termination queries and messages per committed transaction. The program
// commit-heard-by-one stages the worst case of two-phase commit: the
// coordinator crashes with the only shard that heard its COMMIT.
package twopcsys
