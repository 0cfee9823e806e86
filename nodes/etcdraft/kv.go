package etcdraft

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/detsim/detsim/nodes/client"
)

// session is the last write a client had applied, for deduplication.
type session struct {
	seq uint64
	res client.Result
}

// kvStore is the replicated state machine: the key-value data and the
// client sessions. It changes only by applying committed entries in index
// order, or by restoring a snapshot.
type kvStore struct {
	data     map[string]string
	sessions map[uint64]session
}

func newKV() *kvStore {
	return &kvStore{data: map[string]string{}, sessions: map[uint64]session{}}
}

func (kv *kvStore) read(key string) client.Result {
	v, ok := kv.data[key]
	return client.Result{Value: v, Found: ok}
}

// exec applies op with the semantics of checker.KVModel: an absent key
// reads as "".
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
// without taking effect again.
func (kv *kvStore) apply(req client.Request) client.Result {
	if s, ok := kv.sessions[req.Client]; ok && req.Seq <= s.seq {
		if req.Seq == s.seq {
			return s.res
		}
		return client.Result{}
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
		b = append(b, flags(s.res))
	}
	return b
}

func flags(r client.Result) byte {
	var f byte
	if r.Found {
		f |= 1
	}
	if r.OK {
		f |= 2
	}
	return f
}

// errDecode: stored or replicated bytes that do not decode. etcd raft
// hands the adapter only what it persisted and replicated, so this means
// the data was damaged.
var errDecode = errors.New("etcdraft: undecodable state machine data")

func decodeKV(b []byte) (*kvStore, error) {
	kv := newKV()
	if len(b) == 0 {
		return kv, nil // the empty initial snapshot
	}
	d := decoder{b: b}
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
		f := d.byte()
		s.res.Found, s.res.OK = f&1 != 0, f&2 != 0
		kv.sessions[c] = s
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return kv, nil
}

// encodeRequest is a client request as the data of a raft entry.
func encodeRequest(req client.Request) []byte {
	b := binary.AppendUvarint(nil, req.Client)
	b = binary.AppendUvarint(b, req.Seq)
	b = append(b, byte(req.Op.Kind))
	b = appendString(b, req.Op.Key)
	b = appendString(b, req.Op.Value)
	return appendString(b, req.Op.Want)
}

func decodeRequest(b []byte) (client.Request, error) {
	d := decoder{b: b}
	req := client.Request{Client: d.uvarint(), Seq: d.uvarint()}
	req.Op.Kind = client.OpKind(d.byte())
	req.Op.Key = d.string()
	req.Op.Value = d.string()
	req.Op.Want = d.string()
	return req, d.finish()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads what the append functions wrote; the first error sticks.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	if d.err {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err || len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) finish() error {
	if d.err || len(d.b) != 0 {
		return errDecode
	}
	return nil
}
