package raft

import (
	"encoding/binary"
	"slices"

	"github.com/detsim/detsim/nodes/client"
)

// session is the last write a client had applied, for deduplication.
type session struct {
	seq uint64
	res client.Result
}

// kvStore is the replicated state machine: the key-value data and the
// client sessions. It is changed only by applying committed entries in
// index order, or by restoring a snapshot.
type kvStore struct {
	data     map[string]string
	sessions map[uint64]session
}

func newKV() *kvStore {
	return &kvStore{data: map[string]string{}, sessions: map[uint64]session{}}
}

// read answers a get from the current state.
func (kv *kvStore) read(key string) client.Result {
	v, ok := kv.data[key]
	return client.Result{Value: v, Found: ok}
}

// exec applies op and returns its result, with the semantics of
// checker.KVModel: an absent key reads as "".
func (kv *kvStore) exec(op client.Op) client.Result {
	switch op.Kind {
	case client.OpGet:
		return kv.read(op.Key)
	case client.OpPut:
		kv.data[op.Key] = op.Value
		return client.Result{}
	case client.OpAppend:
		v := kv.data[op.Key] + op.Value
		kv.data[op.Key] = v
		return client.Result{Value: v}
	case client.OpDelete:
		_, ok := kv.data[op.Key]
		delete(kv.data, op.Key)
		return client.Result{Found: ok}
	case client.OpCAS:
		if kv.data[op.Key] == op.Want {
			kv.data[op.Key] = op.Value
			return client.Result{OK: true}
		}
		return client.Result{}
	}
	return client.Result{}
}

// apply runs a client command once per (Client, Seq): a command whose Seq
// the session has already seen returns the recorded result (for the latest
// Seq) or a zero result (for an older one, whose client has moved on)
// without taking effect again. dedup false plants bug NoSessionDedup.
func (kv *kvStore) apply(req client.Request, dedup bool) client.Result {
	if dedup {
		if s, ok := kv.sessions[req.Client]; ok && req.Seq <= s.seq {
			if req.Seq == s.seq {
				return s.res
			}
			return client.Result{}
		}
	}
	res := kv.exec(req.Op)
	kv.sessions[req.Client] = session{seq: req.Seq, res: res}
	return res
}

// duplicate returns the recorded result if (client, seq) has been applied.
func (kv *kvStore) duplicate(req client.Request) (client.Result, bool) {
	s, ok := kv.sessions[req.Client]
	if !ok || req.Seq != s.seq {
		return client.Result{}, false
	}
	return s.res, true
}

// stale reports whether the client has already had a later Seq applied.
func (kv *kvStore) stale(req client.Request) bool {
	s, ok := kv.sessions[req.Client]
	return ok && req.Seq < s.seq
}

// encode serializes the state in key order, so equal states encode alike.
func (kv *kvStore) encode() []byte {
	keys := make([]string, 0, len(kv.data))
	for k := range kv.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	clients := make([]uint64, 0, len(kv.sessions))
	for c := range kv.sessions {
		clients = append(clients, c)
	}
	slices.Sort(clients)
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, kv.data[k])
	}
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, c := range clients {
		s := kv.sessions[c]
		b = binary.AppendUvarint(b, c)
		b = binary.AppendUvarint(b, s.seq)
		b = appendString(b, s.res.Value)
		var flags byte
		if s.res.Found {
			flags |= 1
		}
		if s.res.OK {
			flags |= 2
		}
		b = append(b, flags)
	}
	return b
}

func decodeKV(b []byte) (*kvStore, error) {
	d := decoder{b: b}
	kv := newKV()
	n := d.uvarint()
	for i := uint64(0); i < n && !d.err; i++ {
		k := d.string()
		kv.data[k] = d.string()
	}
	n = d.uvarint()
	for i := uint64(0); i < n && !d.err; i++ {
		c := d.uvarint()
		s := session{seq: d.uvarint()}
		s.res.Value = d.string()
		flags := d.byte()
		s.res.Found, s.res.OK = flags&1 != 0, flags&2 != 0
		kv.sessions[c] = s
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return kv, nil
}
