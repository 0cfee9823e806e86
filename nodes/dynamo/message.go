package dynamo

import (
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// Messages between servers. Every Object in a message is immutable (see
// Object), so Clone copies the message's own fields and shares the
// objects, which is safe and saves the network a deep copy.

// forwardPut hands a client's put or delete to a replica of its key, which
// coordinates it and answers through forwardReply.
type forwardPut struct {
	ID  uint64
	Req client.Request
}

type forwardReply struct {
	ID   uint64
	Resp client.Response
}

// replicate asks a replica (or, with HintFor set, a fallback) to merge Obj
// into its copy of Key.
type replicate struct {
	Req     uint64
	Key     string
	Obj     Object
	HintFor sim.HostID
}

type replicateAck struct{ Req uint64 }

// fetch asks a replica for its copy of Key (a fallback for its hint).
type fetch struct {
	Req     uint64
	Key     string
	HintFor sim.HostID
}

type fetchReply struct {
	Req uint64
	Obj Object
}

// repair is read repair: merge Obj into Key (or replace, under
// Bugs.RepairOverwrite).
type repair struct {
	Key     string
	Obj     Object
	HintFor sim.HostID
}

// handoff delivers a hint to its target, which acknowledges what it
// merged so that the fallback drops the hint only if it has not changed.
type handoff struct {
	Key string
	Obj Object
}

type handoffAck struct {
	Key string
	Obj Object
}

// gossip carries the sender's view of every server's heartbeat.
type gossip struct {
	Beats []beat
}

// beat is a server's heartbeat: its boot count, then a counter within the
// boot, compared in that order.
type beat struct {
	Boot, Count uint64
}

func (b beat) after(o beat) bool {
	return b.Boot > o.Boot || (b.Boot == o.Boot && b.Count > o.Count)
}

// aeTree opens an anti-entropy exchange for one key range with the leaves
// of the sender's Merkle tree over it (the root is their hash).
type aeTree struct {
	Range  int
	Root   uint64
	Leaves [merkleLeaves]uint64
}

// aeDiff answers with the receiver's objects in the leaves that differ.
type aeDiff struct {
	Range   int
	Mask    uint32
	Objects []keyObject
}

// aeObjects closes the exchange: the opener's objects in those leaves,
// after merging the receiver's.
type aeObjects struct {
	Range   int
	Objects []keyObject
}

type keyObject struct {
	Key string
	Obj Object
}

// These messages share their objects and requests with the sender, who
// never changes them once sent (an Object is replaced, never written in
// place), so the network delivers them as sent (net.Immutable) instead of
// boxing a copy of each.
func (forwardPut) ImmutableMessage()   {}
func (forwardReply) ImmutableMessage() {}
func (replicate) ImmutableMessage()    {}
func (fetchReply) ImmutableMessage()   {}
func (repair) ImmutableMessage()       {}
func (handoff) ImmutableMessage()      {}
func (handoffAck) ImmutableMessage()   {}

// A gossip shares its sender's beats, which the sender copies before it
// changes them again (Node.ownBeats).
func (gossip) ImmutableMessage() {}

func (m aeDiff) Clone() any {
	m.Objects = append([]keyObject(nil), m.Objects...)
	return m
}
func (m aeObjects) Clone() any {
	m.Objects = append([]keyObject(nil), m.Objects...)
	return m
}

// Sizes on the wire, for the network's byte counters and the anti-entropy
// traffic.
const headerBytes = 16

func objectBytes(o Object) int {
	n := 4
	for _, s := range o.Siblings {
		n += 24 + 12*len(s.Past) + len(s.Value)
	}
	return n
}

func (m forwardPut) Size() int {
	return headerBytes + 16 + len(m.Req.Op.Key) + len(m.Req.Op.Value) + len(m.Req.Op.Want)
}
func (m forwardReply) Size() int { return headerBytes + 24 + len(m.Resp.Result.Value) }
func (m replicate) Size() int    { return headerBytes + 8 + len(m.Key) + objectBytes(m.Obj) }
func (m fetchReply) Size() int   { return headerBytes + objectBytes(m.Obj) }
func (m repair) Size() int       { return headerBytes + len(m.Key) + objectBytes(m.Obj) }
func (m handoff) Size() int      { return headerBytes + len(m.Key) + objectBytes(m.Obj) }
func (m handoffAck) Size() int   { return headerBytes + len(m.Key) + objectBytes(m.Obj) }
func (m gossip) Size() int       { return headerBytes + 16*len(m.Beats) }
func (m aeTree) Size() int       { return headerBytes + 8 + 8*(1+merkleLeaves) }
func (m aeDiff) Size() int       { return headerBytes + 8 + keyObjectsBytes(m.Objects) }
func (m aeObjects) Size() int    { return headerBytes + 4 + keyObjectsBytes(m.Objects) }

func keyObjectsBytes(kos []keyObject) int {
	n := 0
	for _, ko := range kos {
		n += len(ko.Key) + objectBytes(ko.Obj)
	}
	return n
}

// Observer sees a replica's state change, from inside the simulation: it
// must only record.
type Observer interface {
	// Stored: server node's copy of key went from before to after.
	Stored(node sim.HostID, key string, before, after Object)
	// Reaped: node forgot key, whose tombstones outlived their grace.
	Reaped(node sim.HostID, key string, last Object)
	// Count: something worth counting happened on node.
	Count(node sim.HostID, c Count, n int)
}

// Count names what an Observer counts.
type Count uint8

const (
	CountHintStored Count = iota + 1
	CountHintDelivered
	CountReadRepair
	CountAntiEntropyExchange
	CountAntiEntropyBytes
	CountAntiEntropyRepair // objects an exchange changed
	CountForwarded
	CountTombstoneReaped
	CountSiblingsRead // n is the number of siblings a get returned
)
