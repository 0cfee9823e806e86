// Package raftcheck checks Raft's safety invariants while a simulated run
// goes on. Safety is a raft.Observer: the nodes report to it synchronously
// as they act, and it checks incrementally, so that a check after every
// event costs next to nothing.
//
// # Using it
//
//  1. Make one Safety per world: s := raftcheck.NewSafety().
//  2. Set it as the Observer of every server's raft.Config (wrap it, or
//     fan out, to observe more; a wrapper passes Sent on too, or the
//     checks of what was sent see nothing).
//  3. Register s.Check (first violation so far, O(1)) or s.Hook(n) (Check
//     and CheckSnapshots after every event, plus CheckLogs every n
//     events) with
//     sim.World.AddHook or a checker.Monitor. A violation ends the run
//     with a *Violation, which wraps ErrViolation.
//  4. Call s.CheckLogs at chosen points (the end of the fault phase, the
//     end of the run).
//
// # What is checked, and how
//
//   - Election safety: the leader of each term is recorded at election; a
//     second leader of that term is a violation.
//   - Log matching: each appended entry is compared with the first entry
//     seen with its index and term, and so is the term before it; by
//     induction, two logs that share an (index, term) share the whole
//     prefix. CheckLogs checks every node's log the same way, as it
//     stands: the whole log of a node instance it has not scanned before
//     (a restart recovers its log from disk) or whose log was compacted
//     since, and otherwise the entries from the lowest index the node
//     reported appended since the last scan, or past the last entry that
//     scan saw. A running node's log changes only by appends, which it
//     reports, truncations and compactions, so the entries below stand
//     as the last scan checked them; a scan costs what changed, not the
//     length of the log.
//   - Leader completeness: at each election the winner's log must hold
//     every entry applied anywhere so far in an earlier term than the
//     winner's (an applied entry was committed no later than the term its
//     applier was in). A candidate can win an old term after a newer one
//     began, if its votes were cast in time, and owes nothing committed
//     since; CheckLogs checks the current leader of the highest term again.
//   - State machine safety: the first entry applied at each index is
//     recorded; every later apply at that index must be the same entry.
//   - Applied in order: each node applies index after index, without
//     gaps, from the snapshot it started from or restored.
//   - Applied monotonic: within one run of a node (from a start to its
//     crash), its applied index never goes back: a snapshot it installs
//     must not lie below what it has applied. A restart may begin again
//     at the node's snapshot and re-apply from there.
//   - Snapshot matches: after every event, each node whose snapshot
//     changed (taken, installed or recovered) is checked: the snapshot
//     records the term of the entry applied at its index and of the
//     node's own log there (when the log still holds it) and the
//     configuration applied as of that index, lies no later
//     than what the node applied, and, when the node's state is the
//     snapshot's, that state equals the first state seen at that index.
//   - Durability of what was sent: Safety is a raft.SendObserver, and
//     notes what every Raft message a node sends reveals (pre-votes
//     aside): its term, its vote (its own, by a vote request; another's,
//     by a granted vote). At each restart the recovered term must be at
//     least the highest term the previous incarnation sent, and, in the
//     term of the vote it revealed last, its vote that one. A candidate
//     whose vote request left before its term and vote were synced fails
//     here, though no response of its promised anything. (What responses
//     promised, entries acknowledged included, is checked from the node's
//     own raft.Promise as well.)
//   - Election quorum: at each election, the granted votes seen sent to
//     the winner in its term, with its own if it is a member, must make a
//     majority of the configuration in force at the winner.
//   - Commit quorum: an entry a leader applies past the commit index it
//     was elected with must have been acknowledged in its term (a
//     successful append or snapshot response of at least its index) by a
//     majority of the configuration in force at the leader, the leader
//     counting itself if it is a member. A removed server's
//     acknowledgement does not count.
//   - Sender role: every Raft message a node sends carries its current
//     term (a pre-vote request and a granted pre-vote: the term asked
//     for), and only a leader sends appends, heartbeats, snapshots and
//     TimeoutNow, only a candidate vote requests, and only a pre-candidate
//     pre-vote requests.
//   - Vote once: a server grants its vote in a term to one candidate at
//     most, restarts included, as its vote responses show.
//   - Applied committed: the first node to apply each index is a
//     leader, which applies an entry in the event that commits it,
//     before it tells anyone; a follower that applies an index no leader
//     has applied (a recovered log taken as committed, say) applies what
//     no leader committed. The initial configuration entry, committed by
//     definition, is the exception.
//   - Commit monotonic: as a node sends each message, its commit index
//     is no lower than when it sent the one before (within one run of
//     the node) and no lower than what it has applied.
//   - Campaigner is member: every vote or pre-vote request a node sends
//     must come from a member of the configuration in force at it. A
//     server that holds the entry removing it, or a joining server that
//     holds no configuration yet, stays a follower.
//   - Heartbeat commit: the commit index of a heartbeat a leader sends a
//     follower is at most the highest index that follower acknowledged
//     (as sent) to that leader in its term. A heartbeat's commit is
//     capped at the follower's match, and only answers of the leader's
//     own term may raise the match: a leader that counts a delayed
//     answer of an earlier term, or takes what it sent for what was
//     acknowledged, tells it first.
//   - Log terms ordered: at each start, the recovered log's terms never
//     decrease along its indexes, from the snapshot's term on; only a torn
//     write or truncation that recovery let through leaves one that does.
//   - Configuration latest: as a node recovers, campaigns and wins, its
//     configuration in force must be the latest configuration entry in
//     its log, committed or not, or its snapshot's when the log holds
//     none (section 4.1 of the Raft dissertation). A server that takes
//     the committed one instead, after a restart or a truncation, counts
//     votes and acknowledgements among the wrong servers.
//   - State agreement: at every CheckLogs, each node's state machine
//     (data and client sessions, by raft.Node.StateHash) must equal the
//     first state any node was seen holding at the same applied index.
//     It finds a replica that applied a retried write that the others
//     deduplicated, say, before any read shows it.
//
// Safety keeps every entry it has seen, so its memory grows with the log;
// it is for test-sized runs. It trusts what nodes report: a node whose
// storage lies (sim's LyingSyncRatio) may legitimately make it fail.
package raftcheck
