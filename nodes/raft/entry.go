package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// EntryKind is what a log entry holds.
type EntryKind uint8

const (
	// EntryNoop is the empty entry a new leader appends to commit its
	// term.
	EntryNoop EntryKind = iota + 1
	// EntryCommand is a client's operation.
	EntryCommand
	// EntryConf is a configuration: the whole set of members from this
	// entry on.
	EntryConf
)

func (k EntryKind) String() string {
	switch k {
	case EntryNoop:
		return "noop"
	case EntryCommand:
		return "command"
	case EntryConf:
		return "conf"
	}
	return fmt.Sprintf("EntryKind(%d)", uint8(k))
}

// Entry is one log entry. Entries are values that no one changes once they
// are made: a log, a message and an observer may share one, Members
// included.
type Entry struct {
	Index uint64
	Term  uint64
	Kind  EntryKind
	// Cmd is the client's request (EntryCommand).
	Cmd client.Request
	// Members is the new configuration, sorted (EntryConf).
	Members []sim.HostID
}

// Equal reports whether e and o are the same entry.
func (e *Entry) Equal(o *Entry) bool {
	return e.Index == o.Index && e.Term == o.Term && e.Kind == o.Kind && e.Cmd == o.Cmd && slices.Equal(e.Members, o.Members)
}

func (e *Entry) String() string {
	switch e.Kind {
	case EntryCommand:
		return fmt.Sprintf("%d@%d %v(%q) c%d#%d", e.Index, e.Term, e.Cmd.Op.Kind, e.Cmd.Op.Key, e.Cmd.Client, e.Cmd.Seq)
	case EntryConf:
		return fmt.Sprintf("%d@%d conf%v", e.Index, e.Term, e.Members)
	}
	return fmt.Sprintf("%d@%d %v", e.Index, e.Term, e.Kind)
}

func (e *Entry) size() int {
	return 24 + len(e.Cmd.Op.Key) + len(e.Cmd.Op.Value) + len(e.Cmd.Op.Want) + 8*len(e.Members)
}

// errDecode is what a decoder returns for bytes it cannot parse; storage
// treats it like sim.ErrCorrupt.
var errDecode = errors.New("raft: undecodable record")

// The encodings below are the node's on-disk format: small, versionless,
// and built by hand so that the hot path allocates one buffer per record.

func appendEntry(b []byte, e *Entry) []byte {
	b = append(b, byte(e.Kind))
	b = binary.AppendUvarint(b, e.Index)
	b = binary.AppendUvarint(b, e.Term)
	switch e.Kind {
	case EntryCommand:
		b = binary.AppendUvarint(b, e.Cmd.Client)
		b = binary.AppendUvarint(b, e.Cmd.Seq)
		b = append(b, byte(e.Cmd.Op.Kind))
		b = appendString(b, e.Cmd.Op.Key)
		b = appendString(b, e.Cmd.Op.Value)
		b = appendString(b, e.Cmd.Op.Want)
	case EntryConf:
		b = appendMembers(b, e.Members)
	}
	return b
}

func decodeEntry(b []byte) (Entry, error) {
	d := decoder{b: b}
	e := Entry{Kind: EntryKind(d.byte())}
	e.Index = d.uvarint()
	e.Term = d.uvarint()
	switch e.Kind {
	case EntryNoop:
	case EntryCommand:
		e.Cmd.Client = d.uvarint()
		e.Cmd.Seq = d.uvarint()
		e.Cmd.Op.Kind = client.OpKind(d.byte())
		e.Cmd.Op.Key = d.string()
		e.Cmd.Op.Value = d.string()
		e.Cmd.Op.Want = d.string()
	case EntryConf:
		e.Members = d.members()
	default:
		d.fail()
	}
	return e, d.finish()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendMembers(b []byte, ms []sim.HostID) []byte {
	b = binary.AppendUvarint(b, uint64(len(ms)))
	for _, m := range ms {
		b = binary.AppendVarint(b, int64(m))
	}
	return b
}

// decoder reads what the append functions wrote. The first error sticks;
// later reads return zero values.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) fail() { d.err, d.b = true, nil }

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) members() []sim.HostID {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	ms := make([]sim.HostID, 0, n)
	for range n {
		ms = append(ms, sim.HostID(d.varint()))
	}
	return ms
}

func (d *decoder) finish() error {
	if d.err || len(d.b) != 0 {
		return errDecode
	}
	return nil
}
