package dynamo

import (
	"cmp"
	"encoding/binary"
	"hash/crc32"
	"slices"

	"github.com/detsim/detsim/sim"
)

// Gossip: every GossipInterval a server bumps its own heartbeat and sends
// its whole table to one random peer, which keeps the later of each entry.
// A heartbeat that has not advanced for FailAfter marks its server down.

func (n *Node) gossipRound() {
	me := n.serverPos[n.self]
	n.ownBeats()
	n.beats[me].Count++
	n.heard[me] = n.env.Now()
	servers := n.ring.servers
	if len(servers) < 2 {
		return
	}
	peer := servers[n.env.Rand().IntN(len(servers))]
	for peer == n.self {
		peer = servers[n.env.Rand().IntN(len(servers))]
	}
	n.env.Send(peer, gossip{Beats: n.beats})
	n.beatsSent = true
}

// ownBeats makes beats the node's own to change, copying them if a gossip
// shares them. The copies are cut from a block of beatsBlock tables at a
// time: a gossip round copies the table, and the copies live no longer
// than the gossips in flight that share them.
func (n *Node) ownBeats() {
	if !n.beatsSent {
		return
	}
	k := len(n.beats)
	if len(n.beatsFree) < k {
		n.beatsFree = make([]beat, beatsBlock*k)
	}
	fresh := n.beatsFree[:k:k]
	n.beatsFree = n.beatsFree[k:]
	copy(fresh, n.beats)
	n.beats, n.beatsSent = fresh, false
}

const beatsBlock = 16

func (n *Node) gossiped(m gossip) {
	if len(m.Beats) != len(n.beats) {
		n.env.Logf("dynamo: gossip of %d servers on a ring of %d: ignored", len(m.Beats), len(n.beats))
		return
	}
	now := n.env.Now()
	for i, b := range m.Beats {
		if b.after(n.beats[i]) {
			n.ownBeats()
			n.beats[i] = b
			n.heard[i] = now
		}
	}
}

// Hinted handoff: hints go to their targets once the failure detector holds
// them up; a hint is removed when its target acknowledges exactly what it
// holds.

func (n *Node) handoffRound() {
	for _, hk := range n.sortedHints() {
		if n.Healthy(hk.target) {
			n.env.Send(hk.target, handoff{Key: hk.key, Obj: n.hints[hk]})
		}
	}
}

func (n *Node) sortedHints() []hintKey {
	out := make([]hintKey, 0, len(n.hints))
	for hk := range n.hints {
		out = append(out, hk)
	}
	slices.SortFunc(out, func(a, b hintKey) int {
		if c := cmp.Compare(a.target, b.target); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	return out
}

func (n *Node) handedOff(from sim.HostID, m handoffAck) {
	hk := hintKey{from, m.Key}
	if cur, ok := n.hints[hk]; !ok || !cur.Equal(m.Obj) {
		return // changed since it was sent: the next round sends it again
	}
	delete(n.hints, hk)
	n.count(CountHintDelivered, 1)
	if !n.cfg.Bugs.UnsyncedHints {
		st := n.st
		st.Delete(n.hintStorageKey(hk))
		st.Sync()
	}
}

// Reaping: a key whose every sibling is a tombstone older than the grace
// (by the tombstones' write time) is forgotten.

func (n *Node) reapRound() {
	now := n.env.Now()
	var reaped []*keyState
	for _, s := range n.keys {
		o := s.obj
		if !o.Deleted() {
			continue
		}
		newest := o.Siblings[0].Time
		for _, s := range o.Siblings {
			newest = max(newest, s.Time)
		}
		if n.cfg.Bugs.ReapEarly || now-newest >= n.cfg.TombstoneGrace {
			reaped = append(reaped, s)
		}
	}
	if len(reaped) == 0 {
		return
	}
	st := n.st
	for _, s := range reaped {
		k, last := s.key, s.obj
		s.obj, s.held = Object{}, false
		n.changed(s)
		i, _ := slices.BinarySearchFunc(n.keys, k, byKey)
		n.keys = slices.Delete(n.keys, i, i+1)
		st.Delete(s.storageKey)
		n.count(CountTombstoneReaped, 1)
		if n.cfg.Observer != nil {
			n.cfg.Observer.Reaped(n.self, k, last)
		}
	}
	st.Sync()
}

// Anti-entropy: every AntiEntropyInterval a server takes the next of the
// key ranges it is a primary of and a random other primary of it, and sends the
// leaves of its Merkle tree over the range: each leaf hashes the objects
// of the keys that fall in it. The peer answers with its objects in the
// leaves that differ, and the opener merges them and sends its own back.
// Equal ranges cost one message.

const merkleLeaves = 16

func (n *Node) antiEntropyRound() {
	if n.aeRanges == nil {
		n.aeRanges = []int{}
		for rg := 0; rg < n.ring.Ranges(); rg++ {
			if slices.Contains(n.ring.Walk(rg)[:n.cfg.N], n.self) {
				n.aeRanges = append(n.aeRanges, rg)
			}
		}
	}
	mine := n.aeRanges
	if len(mine) == 0 {
		return
	}
	// Ranges in turn, from a random start, so that every range is
	// compared within one sweep of them.
	if n.aeNext == 0 {
		n.aeNext = 1 + n.env.Rand().IntN(len(mine))
	}
	n.aeNext++
	rg := mine[n.aeNext%len(mine)]
	var peers []sim.HostID
	for _, p := range n.ring.Walk(rg)[:n.cfg.N] {
		if p != n.self && n.Healthy(p) {
			peers = append(peers, p)
		}
	}
	if len(peers) == 0 {
		return
	}
	peer := peers[n.env.Rand().IntN(len(peers))]
	root, leaves := n.merkle(rg)
	m := aeTree{Range: rg, Root: root, Leaves: leaves}
	n.count(CountAntiEntropyExchange, 1)
	n.count(CountAntiEntropyBytes, m.Size())
	n.env.Send(peer, m)
}

// merkle is the Merkle tree of range rg over this replica's objects: the
// leaves, and the root that hashes them.
func (n *Node) merkle(rg int) (uint64, [merkleLeaves]uint64) {
	if n.trees == nil {
		n.trees = make([]merkleTree, n.ring.Ranges())
	}
	if rg < 0 || rg >= len(n.trees) {
		return n.buildMerkle(rg) // no range of this ring: no key is in it
	}
	t := &n.trees[rg]
	if !t.ok {
		t.root, t.leaves = n.buildMerkle(rg)
		t.ok = true
	}
	return t.root, t.leaves
}

// merkleTree is a range's tree as merkle last built it; ok until a key
// of the range changes (changed).
type merkleTree struct {
	ok     bool
	root   uint64
	leaves [merkleLeaves]uint64
}

// changed forgets the tree of the range of the key whose state is s: its
// object, or whether it is held, has changed.
func (n *Node) changed(s *keyState) {
	s.digestOK = false
	if n.trees != nil {
		n.trees[s.ringRange].ok = false
	}
}

func (n *Node) buildMerkle(rg int) (uint64, [merkleLeaves]uint64) {
	var leaves [merkleLeaves]uint64
	for _, s := range n.keys {
		if s.ringRange != rg {
			continue
		}
		if !s.digestOK {
			n.buf = appendObject(n.buf[:0], s.obj)
			s.digest, s.digestOK = digest(s.key, n.buf), true
		}
		leaves[s.merkleLeaf] = leaves[s.merkleLeaf]*1099511628211 ^ s.digest
	}
	var root [8 * merkleLeaves]byte
	for i, l := range leaves {
		binary.BigEndian.PutUint64(root[8*i:], l)
	}
	return hash64(root[:]), leaves
}

// digest hashes a key with its object's encoding: a Merkle tree's leaf
// input. CRC-32C is exactly defined, so every machine computes the same
// digest, and fast where the CPU has an instruction for it.
func digest(key string, encoded []byte) uint64 {
	c := crc32.Checksum(encoded, castagnoli)
	var buf [64]byte // room for the usual key and the checksum, on the stack
	return hash64(binary.BigEndian.AppendUint32(append(buf[:0], key...), c))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// objectsIn are this replica's objects of range rg in the leaves of mask.
func (n *Node) objectsIn(rg int, mask uint32) []keyObject {
	var out []keyObject
	for _, s := range n.keys {
		if s.ringRange == rg && mask&(1<<s.merkleLeaf) != 0 {
			out = append(out, keyObject{Key: s.key, Obj: s.obj})
		}
	}
	return out
}

func (n *Node) aeTreeReceived(from sim.HostID, m aeTree) {
	root, leaves := n.merkle(m.Range)
	if root == m.Root {
		return
	}
	var mask uint32
	for i := range leaves {
		if leaves[i] != m.Leaves[i] {
			mask |= 1 << i
		}
	}
	d := aeDiff{Range: m.Range, Mask: mask, Objects: n.objectsIn(m.Range, mask)}
	n.count(CountAntiEntropyBytes, d.Size())
	n.env.Send(from, d)
}

func (n *Node) aeDiffReceived(from sim.HostID, m aeDiff) {
	n.mergeAll(m.Objects)
	back := aeObjects{Range: m.Range, Objects: n.objectsIn(m.Range, m.Mask)}
	n.count(CountAntiEntropyBytes, back.Size())
	n.env.Send(from, back)
}

func (n *Node) aeObjectsReceived(m aeObjects) { n.mergeAll(m.Objects) }

func (n *Node) mergeAll(kos []keyObject) {
	for _, ko := range kos {
		cur := n.Object(ko.Key)
		next := n.merge(cur, ko.Obj)
		if !next.Equal(cur) {
			n.count(CountAntiEntropyRepair, 1)
			n.store(ko.Key, sim.NoHost, next)
		}
	}
}
