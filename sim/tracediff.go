package sim

import (
	"bufio"
	"bytes"
	"encoding/json"

	"fmt"
	"io"
	"time"
)

// JSONBody is a message body read back from a JSON trace: the JSON itself.
// It prints as that JSON and encodes to it again, so a record read back
// renders in the text format and rewrites to the same JSON line.
type JSONBody []byte

func (b JSONBody) String() string               { return string(b) }
func (b JSONBody) MarshalJSON() ([]byte, error) { return b, nil }

// TraceReader reads a JSON Lines trace, as JSONSink writes it, back into
// records. JSON names hosts, not ids, so a record read back has HostName
// (and PeerName, when the line has a peer) with Host and Peer set to
// NoHost; its Body, if any, is a JSONBody.
type TraceReader struct {
	r    *bufio.Reader
	line int
	rec  Record
	long []byte // a line longer than r's buffer
}

// NewTraceReader reads the trace from r.
func NewTraceReader(r io.Reader) *TraceReader { return &TraceReader{r: bufio.NewReaderSize(r, 64<<10)} }

// traceLine is a line as JSONSink writes it. Pointers tell a missing field
// from a zero one.
type traceLine struct {
	I     *uint64         `json:"i"`
	T     *int64          `json:"t"`
	Kind  *string         `json:"kind"`
	Host  *string         `json:"host"`
	Peer  *string         `json:"peer"`
	ID    uint64          `json:"id"`
	Size  int             `json:"size"`
	Label string          `json:"label"`
	Text  string          `json:"text"`
	Msg   json.RawMessage `json:"msg"`
}

// Next returns the next record, valid until the following call, or io.EOF
// after the last. Blank lines are skipped. An error names the line.
func (t *TraceReader) Next() (*Record, error) {
	b, err := t.nextLine()
	if err != nil {
		return nil, err
	}
	if err := t.parse(b); err != nil {
		return nil, fmt.Errorf("line %d: %w", t.line, err)
	}
	return &t.rec, nil
}

// nextLine returns the next line that is not blank, trimmed, valid until the
// following call.
func (t *TraceReader) nextLine() ([]byte, error) {
	for {
		b, err := t.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it.
			t.long = append(t.long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = t.r.ReadSlice('\n')
				t.long = append(t.long, b...)
			}
			b = t.long
		}
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("line %d: %w", t.line+1, err)
		}
		t.line++
		if b = bytes.TrimSpace(b); len(b) > 0 {
			return b, nil
		}
	}
}

func (t *TraceReader) parse(b []byte) error {
	var l traceLine
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("not a trace record: %v", err)
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{{"i", l.I == nil}, {"t", l.T == nil}, {"kind", l.Kind == nil}, {"host", l.Host == nil}} {
		if f.missing {
			return fmt.Errorf("not a trace record: it has no %q field", f.name)
		}
	}
	kind, err := ParseRecordKind(*l.Kind)
	if err != nil {
		return err
	}
	t.rec = Record{Index: *l.I, At: time.Duration(*l.T), Kind: kind, Host: NoHost, Peer: NoHost,
		HostName: *l.Host, ID: l.ID, Size: l.Size, Label: l.Label, Text: l.Text}
	if l.Peer != nil {
		t.rec.PeerName = *l.Peer
	}
	if len(l.Msg) > 0 {
		t.rec.Body = JSONBody(l.Msg)
	}
	return nil
}

// TraceDiff says where two traces part.
type TraceDiff struct {
	// Same is the number of records the traces share from the start: all of
	// them when the traces are identical.
	Same int
	// A and B are the first records that differ, the Same-th of each trace
	// (counting from 0). One is nil when its trace ended there; both are
	// nil when the traces are identical.
	A, B *Record
	// Before are the records just before the parting, the same in both
	// traces, oldest first.
	Before []Record
}

// Identical reports whether the traces were the same, record for record.
func (d *TraceDiff) Identical() bool { return d.A == nil && d.B == nil }

// DiffTraces reads two JSON Lines traces side by side and returns where
// they part, with up to context records before it. Records are compared
// field by field: index, time, kind, hosts, id, size, label, text and the
// message's JSON. It stops at the first difference, so it reads no more of
// either trace than it must. A malformed line is an error naming its trace
// (A or B) and line.
func DiffTraces(a, b io.Reader, context int) (*TraceDiff, error) {
	if context < 0 {
		return nil, fmt.Errorf("sim: DiffTraces: context %d is negative", context)
	}
	ra, rb := NewTraceReader(a), NewTraceReader(b)
	d := &TraceDiff{}
	ring := make([]Record, 0, context)
	next := 0 // where the ring's oldest record is, once it is full
	for {
		x, y, err := nextPair(ra, rb)
		if err != nil {
			return nil, err
		}
		if x == nil && y == nil {
			break
		}
		if x == nil || y == nil || !sameRecord(x, y) {
			d.A, d.B = cloneRecord(x), cloneRecord(y)
			break
		}
		d.Same++
		if context == 0 {
			continue
		}
		if len(ring) < context {
			ring = append(ring, *cloneRecord(x))
			continue
		}
		ring[next] = *cloneRecord(x)
		next = (next + 1) % context
	}
	d.Before = append(ring[next:len(ring):len(ring)], ring[:next]...)
	return d, nil
}

// nextPair reads the next record of each trace; nil where a trace ended.
// Lines that are the same bytes are parsed once: that halves the work
// where traces agree, which is nearly everywhere.
func nextPair(ra, rb *TraceReader) (x, y *Record, err error) {
	la, errA := ra.nextLine()
	if errA != nil && errA != io.EOF {
		return nil, nil, fmt.Errorf("sim: trace A, %w", errA)
	}
	lb, errB := rb.nextLine()
	if errB != nil && errB != io.EOF {
		return nil, nil, fmt.Errorf("sim: trace B, %w", errB)
	}
	if la != nil {
		if err := ra.parse(la); err != nil {
			return nil, nil, fmt.Errorf("sim: trace A, line %d: %w", ra.line, err)
		}
		x = &ra.rec
	}
	if lb != nil {
		if la != nil && bytes.Equal(la, lb) {
			return x, x, nil
		}
		if err := rb.parse(lb); err != nil {
			return nil, nil, fmt.Errorf("sim: trace B, line %d: %w", rb.line, err)
		}
		y = &rb.rec
	}
	return x, y, nil
}

func sameRecord(x, y *Record) bool {
	bx, _ := x.Body.(JSONBody)
	by, _ := y.Body.(JSONBody)
	return x.Index == y.Index && x.At == y.At && x.Kind == y.Kind && x.HostName == y.HostName &&
		x.PeerName == y.PeerName && x.ID == y.ID && x.Size == y.Size && x.Label == y.Label &&
		x.Text == y.Text && bytes.Equal(bx, by) && (x.Body == nil) == (y.Body == nil)
}

// cloneRecord copies a reader's record out of its buffer; nil stays nil.
func cloneRecord(r *Record) *Record {
	if r == nil {
		return nil
	}
	c := *r
	if b, ok := r.Body.(JSONBody); ok {
		c.Body = JSONBody(bytes.Clone(b))
	}
	return &c
}
