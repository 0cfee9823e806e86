package twopc

import "github.com/detsim/detsim/nodes/2pc/internal/txntable"

// txnMap maps transactions to V. The maps a node consults at every step
// of every transaction are txnMaps: a client's transaction ids count up
// from one in each of its incarnations, and a txntable.Table indexes
// them by that count instead of hashing them.
type txnMap[V any] struct{ t txntable.Table[V] }

// get returns id's value, or V's zero value if it has none.
func (m *txnMap[V]) get(id TxnID) V {
	v, _ := m.t.Get(id.Client, id.Seq)
	return v
}

func (m *txnMap[V]) lookup(id TxnID) (V, bool) { return m.t.Get(id.Client, id.Seq) }
func (m *txnMap[V]) set(id TxnID, v V)         { m.t.Set(id.Client, id.Seq, v) }
func (m *txnMap[V]) del(id TxnID)              { m.t.Delete(id.Client, id.Seq) }

// all visits every transaction and its value in txntable's order.
func (m *txnMap[V]) all(yield func(TxnID, V) bool) {
	m.t.All(func(client, seq uint64, v V) bool { return yield(TxnID{Client: client, Seq: seq}, v) })
}
