// Package etcdraft runs etcd's raft library (go.etcd.io/raft/v3, unchanged)
// as a detsim node: a RawNode wrapped in a sim.Node, serving the same
// key-value clients (package client) as nodes/raft, so that one workload,
// one history and one checker judge both.
//
// # The adapter's contract with RawNode
//
// Every node event (Start, Receive, Timer) runs to completion and ends with
// every Ready handled:
//
//  1. Time: a timer on the host's local clock calls RawNode.Tick every
//     Config.TickInterval; etcd raft counts its election and heartbeat
//     timeouts in ticks.
//  2. Input: an etcd message (Message: the raftpb.Message of the sender's
//     Ready, shared) is stepped in; a client.Request at the leader becomes
//     a proposal (writes) or a ReadIndex request (gets); an AdminRequest
//     at the leader becomes a ConfChange or a TransferLeader.
//  3. While HasReady, the node takes the Ready and, in order: persists its
//     snapshot, entries and hard state to sim storage (and to the
//     MemoryStorage etcd raft reads) and syncs; sends its messages through
//     env.Send, shared with their receivers and never written again (the
//     entries clipped; newMessage argues it); restores a snapshot from the
//     leader into the state machine; applies the
//     committed entries (client commands with session deduplication, conf
//     changes through ApplyConfChange); answers the reads whose read index
//     is confirmed and applied; snapshots the state machine and compacts
//     the log every Config.SnapshotEntries entries; tells the Observer; and
//     calls Advance. Snapshots sent are then reported finished.
//  4. Restart: Start rebuilds the MemoryStorage from sim storage, restores
//     the state machine from the latest snapshot, and builds a new RawNode
//     with Applied at the snapshot's index; etcd raft hands the committed
//     entries after it back for replay. A first boot stores the initial
//     configuration as a snapshot at index 1.
//  5. Damage: a stored value that fails its checksum (sim.ErrCorrupt) or
//     does not decode panics, naming the key, as etcd raft panics when its
//     storage fails; the world reports it as a failure of the host, with
//     the seed. The node syncs once per Ready, before it sends anything,
//     so a crash (between events, or at that sync) loses only writes that
//     nobody was told of. A write such a crash tears is survived: the
//     hard state and the snapshot alternate between two slots, and a torn
//     last log entry is cut (storage.go).
//
// # Clients
//
// Only the leader serves. A follower, or a leader handing leadership over,
// answers client.StatusNotLeader with its leader hint, having accepted
// nothing (proposal forwarding is off). A leader that steps down answers
// its pending writes and reads client.StatusUnavailable. Gets go through
// ReadIndex (Config.ReadOnly picks etcd's safe or lease-based mode).
//
// # Determinism
//
// etcd raft draws its randomized election timeout from crypto/rand, at
// each raft.reset: an election, a step-down, a restart. The package stands
// a guard in for crypto/rand.Reader that hands a draw made inside one of
// the node's drawing calls the host's seeded stream (env.Rand); a
// process-wide lock keeps worlds on other goroutines out of drawing calls
// meanwhile. The node makes a call through the lock only where the state
// before it says that it can draw (draws.go): most calls (a follower's
// appends and heartbeats, a leader's acknowledgements and proposals, the
// ticks before a timeout) run outside it, so worlds on several goroutines
// run at once. A draw in any other call makes the node panic, naming the
// call. entropy.go holds the guard and the list of drawing calls; it is
// the one exception the determinism analyzer accepts, by its annotation.
package etcdraft
