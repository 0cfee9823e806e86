package etcdraft

import (
	"encoding/binary"
	"errors"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/kvstore"
)

// errDecode: stored or replicated bytes that do not decode. etcd raft
// hands the adapter only what it persisted and replicated, so this means
// the data was damaged.
var errDecode = errors.New("etcdraft: undecodable state machine data")

// decodeKV reads a snapshot's state machine; the empty data of the
// initial snapshot is the empty store.
func decodeKV(b []byte) (*kvstore.Store, error) {
	if len(b) == 0 {
		return kvstore.New(), nil
	}
	return kvstore.Decode(b)
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
