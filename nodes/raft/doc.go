// Package raft is a Raft key-value store written as a pure state machine on
// sim.Env, in the manner of etcd's raft: no goroutines, no wall clock, no
// randomness but env.Rand(), and no map order that reaches behaviour. Every
// effect goes through the host: messages (Env.Send), one timer (Env.After,
// on the host's local clock), durable storage (Env.Storage, synced before
// anything depends on it) and the trace (Env.Logf).
//
// It implements leader election with randomized timeouts, PreVote and
// CheckQuorum (with leader stickiness); log replication with the
// consistency check and backtracking a whole conflicting term at a time;
// commitment of entries of the leader's own term only (a new leader appends
// a no-op); persistence and recovery; log compaction by snapshots, and
// InstallSnapshot for lagging followers; linearizable reads through the
// log, by read index, or by a clock lease; leadership transfer
// (TimeoutNow); and single-server membership changes.
//
// # Running a cluster
//
//  1. Build a Config: DefaultConfig(), changed as needed (or JSON decoded
//     onto DefaultConfig(), so that absent fields keep their defaults), and
//     checked with Validate, which names the first bad field.
//  2. Add one host per server with the factory New(cfg). The initial
//     configuration is cfg.Members or, if that is empty, the host itself
//     plus its Peers; every initial member writes it as entry 1 (term 0) on
//     its first boot. A server to be added later boots with Join set (or
//     with an id outside Members): it starts with no configuration and
//     never campaigns until a leader's log makes it a member.
//  3. Clients send client.Request to any server and get client.Response:
//     StatusNotLeader (with a Leader hint) from a server that is not the
//     leader, which has not accepted the request; StatusOK with the result;
//     or StatusUnavailable when the leader lost leadership with the write
//     pending (its outcome is unknown). Writes are deduplicated by (Client,
//     Seq): a client has one request in flight, and a retry of the latest
//     gets the original result without applying twice.
//  4. Send ConfChange and TransferLeader to the leader for membership
//     changes and leadership transfers; Admin is a node that does so for a
//     scenario, following leader hints and retrying.
//  5. For checking, set cfg.Observer to a raftcheck.Safety (one per world)
//     and register its Check as a world hook (an Observer that is also a
//     SendObserver, as Safety is, hears of every message a node sends);
//     read state through Node's
//     accessors (Host.Node().(*raft.Node)); check the client history with
//     checker.Check and checker.KVModel.
//
// # The state machine
//
// get: Found = the key exists, Value = its value ("" if absent). put: sets
// the key. append: sets it to old+Value and returns the new Value. delete:
// Found = the key existed; removes it. cas: if the current value (absent
// counts as "") equals Want, sets it to Value and returns OK. These are the
// semantics of checker.KVModel. Sessions (the last Seq and result per
// client) are part of the state machine and of its snapshots.
//
// # Reads
//
// Config.ReadMode picks how a leader serves gets. ReadLog appends them like
// writes. ReadIndex (the default) takes the commit index (at least this
// term's no-op), confirms leadership with a heartbeat round that a quorum
// acknowledges, waits until that index is applied, and answers from local
// state. ReadLease answers from local state while a lease holds: a quorum
// acknowledged a heartbeat sent at t (leader's clock), and followers, by
// leader stickiness, vote for no one else until ElectionTimeoutMin after
// they heard it, so the lease ends at t + ElectionTimeoutMin -
// LeaseDriftBound. It is UNSAFE when clocks drift or step by more than
// LeaseDriftBound within a lease: a deposed leader can serve stale reads.
//
// # Membership
//
// One server is added or removed at a time. A leader accepts a change only
// when the previous one has committed and it has committed an entry of its
// own term; otherwise it answers AdminBusy. A configuration takes effect on
// every server as soon as it is in its log (committed or not). Until a
// change commits, the leader keeps replicating to the servers it removes,
// so they learn of their removal; a leader that removes itself steps down
// once the change commits and hands leadership to the most up-to-date
// member with TimeoutNow. A removed server stays a silent follower.
//
// # Durability and recovery
//
// Term and vote are written to two alternating slots with a sequence
// number; each log entry has its own key; snapshots are written under new
// keys, and what they replace is deleted only after they are synced. The
// node syncs before every message that depends on what it wrote (a vote
// before the VoteResponse, entries before the AppendResponse, a leader's
// own entry before it counts itself) and never ends an event with unsynced
// writes. On restart it rebuilds from storage alone: the newest readable
// snapshot, then the contiguous log after it; commit and apply indexes are
// not stored, and entries after the snapshot are applied again as the
// leader reports them committed.
//
// A record that reads back as sim.ErrCorrupt (or does not decode) is
// treated as absent: a torn hard-state slot falls back to the other slot,
// a torn snapshot to the previous one, and a torn log entry is dropped with
// every entry after it (a log can be torn only at its tail, where it was
// being written). The node logs what it dropped. Corruption of records
// that were synced (or syncs that lie) breaks Raft's assumption of durable
// storage; the node recovers what it can by the same rules and the safety
// checker may then fail, which is the point of such faults.
//
// # Planted bugs
//
// Config.Bugs holds deliberate protocol bugs, all off by default, to prove
// that the harness finds them: CommitOldTerms (the Figure 8 bug),
// VoteWithoutLogCheck, ReplyBeforeSync, StaleReads, NoSessionDedup and
// EarlyConfChange. The package tests show, for each, a nemesis and a seed
// budget that find it, and that the same seeds pass without it.
//
// # Implementation invariants
//
// Documented on Node's fields: commit >= applied >= snapshot index >= log
// offset; the log is contiguous after its offset; exactly one timer is
// pending while a node runs; a leader's progress list matches its
// replication targets. A broken internal invariant panics, which the
// simulator reports with the seed.
package raft
