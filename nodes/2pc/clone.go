package twopc

import "slices"

// The messages of a transaction's normal case are Immutable (net): their
// senders build their slices for them and never change them after, and no
// receiver changes what it is given or keeps. The network delivers them
// without a copy. A read's result shares the committed list it read: a
// shard's committed lists only ever grow past the length a read saw, or
// are replaced whole.
func (Execute) ImmutableMessage()       {}
func (Executed) ImmutableMessage()      {}
func (CommitRequest) ImmutableMessage() {}
func (BeginCommit) ImmutableMessage()   {}
func (Prepare) ImmutableMessage()       {}

func (m Phase1a) Clone() any { m.Participants = slices.Clone(m.Participants); return m }
func (m Phase1b) Clone() any { m.Instances = slices.Clone(m.Instances); return m }
func (m Phase2a) Clone() any {
	m.Participants, m.Values = slices.Clone(m.Participants), slices.Clone(m.Values)
	return m
}
func (m Phase2b) Clone() any { m.Instances = slices.Clone(m.Instances); return m }

// Paxos Commit's messages copy themselves (net.Cloner), faster than the
// network's reflective deep copy.

// cloner is net.Cloner, for the copies that local delivery and Bundle
// make without the network.
type cloner interface{ Clone() any }

func cloneMessage(m any) any {
	if c, ok := m.(cloner); ok {
		return c.Clone()
	}
	return m // the other messages hold no references, or are Immutable
}

func (m Bundle) Clone() any {
	out := make([]any, len(m.Msgs))
	for i, x := range m.Msgs {
		out[i] = cloneMessage(x)
	}
	m.Msgs = out
	return m
}
