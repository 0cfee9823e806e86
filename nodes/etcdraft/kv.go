package etcdraft

import "github.com/detsim/detsim/nodes/kvstore"

// decodeKV reads a snapshot's state machine; the empty data of the
// initial snapshot is the empty store. etcd raft hands the adapter only
// what it persisted and replicated, so bytes that do not decode mean the
// data was damaged.
func decodeKV(b []byte) (*kvstore.Store, error) {
	if len(b) == 0 {
		return kvstore.New(), nil
	}
	return kvstore.Decode(b)
}
