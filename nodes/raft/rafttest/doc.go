// Package rafttest holds targeted nemeses for Raft clusters in a sim world:
// fault schedules that react to what the nodes do (an election, a leader's
// first commit, a membership change appended, a snapshot sent, a read
// taken), so that rare interleavings
// that random faults almost never produce come up in a few seeds. Every
// choice is drawn from a seeded stream, so runs replay.
//
// # Using it
//
//  1. Before adding the servers, make a Cluster (the world, its network,
//     every server's host id, the Admin if any, and a stream such as
//     World.Stream("nemesis")) and a Tap whose Next is the observer the
//     servers would otherwise have (a raftcheck.Safety, say).
//  2. Install a nemesis on the Tap: Figure8(c, tap, maxCut),
//     NewFigure8Steps(c, tap), NewConfSplit(c, tap),
//     NewSnapshotReplay(c, tap), NewStaleReplies(c, tap) or
//     NewDeposedRead(c, tap);
//     NewCrashAfterVote(c) and NewFigure7(c) need no Tap (they look at
//     the nodes' terms, votes and logs). Set
//     raft.Config.Observer to the Tap and add the servers.
//  3. Start what needs timers (Figure8Steps.Start, ConfSplit.Start,
//     CrashAfterVote.Start, Figure7.Start, SnapshotReplay.Start,
//     StaleReplies.Start, DeposedRead.Start, Cluster.StartRejoins), then
//     run the world.
//
// The nemeses cut servers off with Cluster.Isolate, which rewrites the
// network's partition (clients and other hosts not listed keep their
// links); do not mix them with other partition faults in one run.
// Figure7, Figure8Steps and DeposedRead rewrite the network themselves,
// so the same holds for them. CrashAfterVote only crashes and restarts,
// and SnapshotReplay and StaleReplies only deliver copies of messages;
// they mix with anything (but StaleReplies takes the Tap's Elected hook).
//
// What each finds, with the planted bugs of package raft: Figure8 with
// AppendEntriesMax 1 finds CommitOldTerms in some seeds, Figure8Steps in
// nearly every one; ConfSplit finds EarlyConfChange; CrashAfterVote finds
// ReplyBeforeSync at once. All pass without the bugs. (SyncAfterReply,
// which syncs at the end of the event, needs a crash inside it: sim's
// CrashAtSyncRatio.) SnapshotReplay finds
// InstallOldSnapshot (raftcheck's AppliedMonotonic); StaleReplies finds a
// leader that counts an append answered in its earlier term (raftcheck's
// HeartbeatCommit); DeposedRead finds a
// read confirmed by a round sent before it arrived (a stale read).
package rafttest
