package kvstore

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

// Store is the replicated state machine: the key-value data and the
// client sessions. It is changed only by applying committed entries in
// index order, or by restoring a snapshot.
type Store struct {
	data     map[string]string
	sessions map[uint64]session
}

func New() *Store {
	return &Store{data: map[string]string{}, sessions: map[uint64]session{}}
}

// Read answers a get from the current state.
func (kv *Store) Read(key string) client.Result {
	v, ok := kv.data[key]
	return client.Result{Value: v, Found: ok}
}

// exec applies op and returns its result, with the semantics of
// checker.KVModel: an absent key reads as "".
func (kv *Store) exec(op client.Op) client.Result {
	switch op.Kind {
	case client.OpGet:
		return kv.Read(op.Key)
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

// Apply runs a client command once per (Client, Seq): a command whose Seq
// the session has already seen returns the recorded result (for the latest
// Seq) or a zero result (for an older one, whose client has moved on)
// without taking effect again. dedup false applies every copy (a planted bug of a system that uses it).
func (kv *Store) Apply(req client.Request, dedup bool) client.Result {
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

// Duplicate returns the recorded result if (client, seq) has been applied.
func (kv *Store) Duplicate(req client.Request) (client.Result, bool) {
	s, ok := kv.sessions[req.Client]
	if !ok || req.Seq != s.seq {
		return client.Result{}, false
	}
	return s.res, true
}

// Stale reports whether the client has already had a later Seq applied.
func (kv *Store) Stale(req client.Request) bool {
	s, ok := kv.sessions[req.Client]
	return ok && req.Seq < s.seq
}

// Encode serializes the state in key order, so equal states encode alike.
func (kv *Store) Encode() []byte {
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

// Decode reads what Encode wrote; anything else is ErrDecode.
func Decode(b []byte) (*Store, error) {
	d := decoder{b: b}
	kv := New()
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

// Value is the value at key, for checks and reports.
func (kv *Store) Value(key string) (string, bool) {
	v, ok := kv.data[key]
	return v, ok
}

// EncodeRequest is a client request as bytes, for a log whose entries
// are bytes (etcd raft's); DecodeRequest reads it back.
func EncodeRequest(req client.Request) []byte {
	b := binary.AppendUvarint(nil, req.Client)
	b = binary.AppendUvarint(b, req.Seq)
	b = append(b, byte(req.Op.Kind))
	b = appendString(b, req.Op.Key)
	b = appendString(b, req.Op.Value)
	return appendString(b, req.Op.Want)
}

// DecodeRequest reads what EncodeRequest wrote; anything else is ErrDecode.
func DecodeRequest(b []byte) (client.Request, error) {
	d := decoder{b: b}
	req := client.Request{Client: d.uvarint(), Seq: d.uvarint()}
	req.Op.Kind = client.OpKind(d.byte())
	req.Op.Key = d.string()
	req.Op.Value = d.string()
	req.Op.Want = d.string()
	return req, d.finish()
}

// ErrDecode: bytes that Encode or EncodeRequest did not write.
var ErrDecode = errors.New("kvstore: undecodable state")

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
		return ErrDecode
	}
	return nil
}

// Holder is what holds a Store's values: a Store, or a node that
// replicates one.
type Holder interface {
	Value(key string) (string, bool)
}

// SameValues reports whether every holder has the same value, or none,
// for each of keys: what comparing maps of their values would say,
// without building them.
func SameValues(keys []string, holders ...Holder) bool {
	for _, h := range holders[min(1, len(holders)):] {
		for _, k := range keys {
			v, ok := h.Value(k)
			w, firstOK := holders[0].Value(k)
			if ok != firstOK || v != w {
				return false
			}
		}
	}
	return true
}
