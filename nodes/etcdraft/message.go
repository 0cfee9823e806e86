package etcdraft

import (
	"slices"

	"go.etcd.io/raft/v3/raftpb"
)

// copyMessages, set by tests only, sends every message as a deep copy
// (marshalled and unmarshalled, as on a wire) instead of sharing it:
// the runs must not change.
var copyMessages bool

// newMessage puts m, a message of a Ready the node handled, in flight.
//
// A message is shared, not marshalled, between the sender and its
// receiver (and a duplicate's second receiver). Nobody writes it again,
// by go.etcd.io/raft/v3 v3.6.0's code and this package's:
//
//  1. The sender: etcd raft drops its own reference to a Ready's messages
//     when it hands them over (RawNode.acceptReady sets raft.msgs and
//     msgsAfterAppend to nil), and the node only reads them (send).
//  2. A message's entries are a slice of the leader's log: of its
//     unstable log (unstable.slice, capped by a full slice expression)
//     or of its MemoryStorage. etcd raft never changes an entry it holds
//     (the log is rewritten by slicing and appending: unstable's
//     truncateAndAppend and MemoryStorage.Append copy or cap before
//     they append); raft.appendEntry and stepLeader's MsgProp write
//     entries of a proposal only, which the node makes fresh (Propose,
//     ProposeConfChange) and never receives from a peer (proposal
//     forwarding is off).
//  3. The receiver: raft.Step takes the message by value. Its entries
//     may become the receiver's unstable log whole (truncateAndAppend,
//     when they replace it: "u.entries = ents"), to which the receiver
//     later appends its next entries in place while the slice has room.
//     That append would write into the leader's array, and into what
//     other followers were sent. The slice is clipped here (capacity ==
//     length), so that append copies first. (The node persists and
//     advances after every step, which drops the adopted slice from the
//     unstable log before a second message comes; the clip does not rely
//     on it. TestAReceiverNeverWritesIntoTheEntriesItWasSent steps two
//     messages in a row and sees the leader's array untouched.)
//  4. A snapshot (MsgSnap) is stepped as a copy of the Snapshot value
//     (raft.handleSnapshot); its data and configuration are read, never
//     written: the node decodes the data into a new store, and
//     ApplyConfChange and MemoryStorage.CreateSnapshot replace a
//     configuration, they do not write into one. Context bytes (votes,
//     ReadIndex) are compared and copied into strings, never written.
//
// TestSharedMessagesRunAsCopiedOnes runs scenarios both ways and compares
// the runs.
func newMessage(m *raftpb.Message) Message {
	if copyMessages {
		b, err := m.Marshal()
		if err != nil {
			panic(err)
		}
		var c raftpb.Message
		if err := c.Unmarshal(b); err != nil {
			panic(err)
		}
		return Message{m: &c, size: len(b)}
	}
	m.Entries = slices.Clip(m.Entries)
	return Message{m: m, size: m.Size()}
}
