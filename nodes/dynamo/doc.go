// Package dynamo is a leaderless, eventually consistent key-value store in
// the style of Amazon's Dynamo, Riak and Cassandra, as pure state machines
// for detsim: the AP system beside nodes/raft's CP one.
//
// # The store
//
//   - Ring: consistent hashing with Config.Vnodes tokens per server (Ring).
//     A key's preference list is the distinct servers met clockwise from
//     its hash; its first N are the primaries. The servers are the host and
//     its peers; membership is static, and gossip carries health.
//   - Quorums: a get waits for R answers, a put for W acknowledgements.
//     Strict quorums ask the N primaries; sloppy quorums ask the primaries
//     the failure detector holds up and, for each one it holds down, the
//     next healthy server past them, which keeps a hint.
//   - Hinted handoff: a hint is synced before the write is acknowledged,
//     handed to its target once the failure detector sees it up, and
//     removed when the target acknowledges exactly what the hint held.
//   - Versions: dotted version vectors keyed by server. Each sibling has a
//     dot (server, counter) and the causal past its writer had read. A get
//     returns every live sibling and the causal context (the join of their
//     clocks); a put carries the context it read and supersedes exactly
//     the siblings the context has seen. Counters are per server, durable
//     and global over keys, so a dot is never issued twice.
//     Config.LastWriteWins keeps one version by the coordinator's clock
//     instead, and loses concurrent writes.
//   - Repair: read repair after every get (once all replicas answered or
//     the timeout came), and Merkle-tree anti-entropy per key range: each
//     server compares one of its ranges with another of the range's
//     replicas every AntiEntropyInterval; equal trees cost one message.
//   - Membership: every server gossips its table of heartbeats (boot
//     count, counter) to a random peer; a heartbeat that has not advanced
//     for FailAfter marks its server down.
//   - Deletes: a delete writes a tombstone sibling; a key whose siblings
//     are all tombstones older than TombstoneGrace is reaped.
//   - Durability: every change to a replica's objects, hints and dot
//     counter is synced before it is acknowledged or replicated.
//
// # Serving a client
//
// Servers speak the shared client protocol (package client):
//
//  1. A get (client.OpGet) is coordinated by whichever server receives it.
//     It answers StatusOK with Result.Value = EncodeRead(Read{Context,
//     Values, Dots}) once R targets answered (Found: some value is live),
//     or StatusUnavailable at RequestTimeout.
//  2. A put (client.OpPut, Value) or delete (client.OpDelete) carries the
//     context of the get it follows in Op.Want (empty for a blind write).
//     A server outside the key's targets forwards it to the first target,
//     which coordinates: it issues the dot, stores, replicates, and answers
//     StatusOK after W acknowledgements (itself included), or
//     StatusUnavailable at RequestTimeout (the write may still land).
//  3. Other operations, and contexts that do not decode, are refused with
//     StatusNotLeader: they did not take effect.
//  4. A retry with the (Client, Seq) of an answered request to the same
//     coordinator gets the same answer; a retry to another coordinator is
//     a second write of the same value under a new dot.
//
// # Workloads and checks
//
// NewClient builds workload clients (Workload): set adds by
// read-merge-write after Jepsen's set-full, set reads, register writes,
// gets and deletes, then final reads of every key. History records them in
// true time and is a checker.Recorded whose check, "set-full", fails when
// an acknowledged add is missing from a final read, a deleted value comes
// back, or a read returns more siblings than Workload.SiblingsMax;
// Analyze reports lost, stale and never-read elements and time to
// visibility. Its Staleness measures the register reads with
// checker.MeasureStaleness. WriteJSONL writes it as JSON Lines, and
// ReadHistory (registered as checker model "dynamo", so `simrun check
// -model dynamo` takes it) reads it back. Package dynamosys puts it all behind the
// system contract; PBS (pbs.go) measures the probability of a consistent
// read t after a write, after Bailis et al. (VLDB 2012): RunPBS on the
// simulator, DirectPBS and DirectVisibility (the t for a probability, and
// the latencies) on the model itself.
//
// # Planted bugs
//
// Config.Bugs holds deliberate defects, each found by its own scenario in
// dynamosys: ClientClocks (version vectors per client), PruneClocks
// (contexts pruned too eagerly: false concurrency), ReapEarly (tombstones
// reaped before the grace), RepairOverwrite (read repair that replaces
// instead of merging) and UnsyncedHints (hints lost at a crash); and
// LastWriteWins, a configuration whose losses are by design.
package dynamo
