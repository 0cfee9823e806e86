// Package twopccheck checks atomic commitment in a running transaction
// system of package twopc, after every event, and measures its blocking.
//
// # Using it
//
//  1. Make one Atomicity per world with New, passing the world's true
//     clock, and set it as twopc.Config.Observer of every host.
//  2. Register Check as a world hook (sim.World.AddHook): it returns the
//     first violation, which stops the run.
//  3. At the end, read the counters (BlockedTime, Stuck, Committed,
//     Aborted, Recoveries, Queries) and call Liveness for what must hold
//     once every fault has healed.
//
// # What it checks
//
// These are the invariants of Lamport's TCommit and TwoPhase
// specifications, over what the hosts report:
//
//  1. No shard commits a transaction that another shard aborts.
//  2. No decision is reversed: every host that decides a transaction (the
//     coordinator, a Paxos Commit learner) decides the same, and a shard
//     never ends a transaction both ways, across crashes included.
//  3. A prepared shard's state survives a crash: a restarted shard
//     restores every transaction it had voted yes on and not ended.
package twopccheck
