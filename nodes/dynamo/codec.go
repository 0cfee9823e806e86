package dynamo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The storage encoding of an Object: a count of siblings, then for each its
// dot, its past (a count of entries, then node and counter each), a flag
// byte (1: tombstone), its time and its value, all as varints, the value
// length-prefixed.

func appendObject(b []byte, o Object) []byte {
	b = binary.AppendUvarint(b, uint64(len(o.Siblings)))
	for _, s := range o.Siblings {
		b = binary.AppendVarint(b, s.Dot.Node)
		b = binary.AppendUvarint(b, s.Dot.Counter)
		b = appendVV(b, s.Past)
		flag := byte(0)
		if s.Tombstone {
			flag = 1
		}
		b = append(b, flag)
		b = binary.AppendVarint(b, int64(s.Time))
		b = binary.AppendUvarint(b, uint64(len(s.Value)))
		b = append(b, s.Value...)
	}
	return b
}

func appendVV(b []byte, v VV) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, e := range v {
		b = binary.AppendVarint(b, e.Node)
		b = binary.AppendUvarint(b, e.Counter)
	}
	return b
}

var errShort = errors.New("truncated")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errShort
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// count reads a length that cannot exceed what is left of the input, so
// that a corrupt length never allocates without bound.
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errShort
		return 0
	}
	return int(n)
}

func (r *reader) vv() VV {
	n := r.count()
	var v VV
	for i := 0; i < n && r.err == nil; i++ {
		v = append(v, Entry{Node: r.varint(), Counter: r.uvarint()})
	}
	return v
}

func decodeObject(b []byte) (Object, error) {
	r := &reader{b: b}
	n := r.count()
	o := Object{Siblings: make([]Sibling, 0, n)}
	for i := 0; i < n && r.err == nil; i++ {
		var s Sibling
		s.Dot = Dot{Node: r.varint(), Counter: r.uvarint()}
		s.Past = r.vv()
		flag := r.bytes(1)
		s.Tombstone = len(flag) == 1 && flag[0] == 1
		s.Time = time.Duration(r.varint())
		s.Value = string(r.bytes(r.uvarint()))
		o.Siblings = append(o.Siblings, s)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return Object{}, fmt.Errorf("dynamo: stored object: %w", r.err)
	}
	return o, nil
}

// The client's view of a key travels in the shared client protocol's
// strings (package client): a get answers Result.Value = EncodeRead(...),
// and a put or delete carries the context it read in Op.Want. To the client
// the context is opaque, as Riak's X-Riak-Vclock header is.

// EncodeContext writes a causal context as "node:counter,...".
func EncodeContext(v VV) string {
	var t text
	t.Grow(contextBytes(v))
	t.context(v)
	return t.String()
}

// text builds a string in a single allocation, which a strings.Builder
// grown to size does; numbers go through a scratch array rather than a
// string of their own.
type text struct {
	strings.Builder
	digits [20]byte
}

func (t *text) int(v int64)   { t.Write(strconv.AppendInt(t.digits[:0], v, 10)) }
func (t *text) uint(v uint64) { t.Write(strconv.AppendUint(t.digits[:0], v, 10)) }

func (t *text) entry(e Entry) {
	t.int(e.Node)
	t.WriteByte(':')
	t.uint(e.Counter)
}

func (t *text) context(v VV) {
	for i, e := range v {
		if i > 0 {
			t.WriteByte(',')
		}
		t.entry(e)
	}
}

// sibling writes one sibling of a read: "|node:counter:len:value".
func (t *text) sibling(d Dot, value string) {
	t.WriteByte('|')
	t.entry(Entry{d.Node, d.Counter})
	t.WriteByte(':')
	t.int(int64(len(value)))
	t.WriteByte(':')
	t.WriteString(value)
}

// contextBytes bounds the length of v's encoding, for a builder's Grow:
// a ring's node ids and counters seldom pass six digits each.
func contextBytes(v VV) int { return 14 * len(v) }

// DecodeContext reads what EncodeContext wrote.
func DecodeContext(s string) (VV, error) {
	if s == "" {
		return nil, nil
	}
	v := make(VV, 0, strings.Count(s, ",")+1)
	err := scanContext(s, func(e Entry) { v = append(v, e) })
	if err != nil {
		return nil, err
	}
	return v, nil
}

// scanContext hands each entry of an encoded context to each, checking
// that entries are well formed and sorted by node.
func scanContext(s string, each func(Entry)) error {
	if s == "" {
		return nil
	}
	first, last := true, int64(0)
	for rest := s; ; {
		part, after, more := strings.Cut(rest, ",")
		e, ok := parsePlainEntry(part)
		if !ok {
			node, counter, found := strings.Cut(part, ":")
			n, err1 := strconv.ParseInt(node, 10, 64)
			c, err2 := strconv.ParseUint(counter, 10, 64)
			if !found || err1 != nil || err2 != nil {
				return fmt.Errorf("dynamo: bad causal context entry %q in %q", part, s)
			}
			e = Entry{Node: n, Counter: c}
		}
		n, c := e.Node, e.Counter
		if c == 0 {
			return fmt.Errorf("dynamo: bad causal context entry %q in %q", part, s)
		}
		if !first && last >= n {
			return fmt.Errorf("dynamo: causal context %q is not sorted by node", s)
		}
		first, last = false, n
		each(e)
		if !more {
			return nil
		}
		rest = after
	}
}

// parsePlainEntry parses "node:counter" written as EncodeContext writes
// it: decimal digits, a minus sign at most before the node, too few digits
// to overflow. Anything else is left to strconv, which reads every form
// ParseInt and ParseUint take and names what is wrong.
func parsePlainEntry(part string) (Entry, bool) {
	i, neg := 0, len(part) > 0 && part[0] == '-'
	if neg {
		i = 1
	}
	var node int64
	nodeAt := i
	for ; i < len(part) && i-nodeAt < 18 && isDigit(part[i]); i++ {
		node = node*10 + int64(part[i]-'0')
	}
	if i == nodeAt || i == len(part) || part[i] != ':' {
		return Entry{}, false
	}
	i++
	var counter uint64
	counterAt := i
	for ; i < len(part) && i-counterAt < 19 && isDigit(part[i]); i++ {
		counter = counter*10 + uint64(part[i]-'0')
	}
	if i == counterAt || i != len(part) {
		return Entry{}, false
	}
	if neg {
		node = -node
	}
	return Entry{Node: node, Counter: counter}, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Read is what a get returns to a client: the causal context to send back
// with the next write, and the live siblings: their values and dots (the
// siblings' names, as Riak's vtags are), latest write last.
type Read struct {
	Context string
	Values  []string
	Dots    []Dot
}

// EncodeRead writes r as the context, then each sibling as its dot and
// its value, length-prefixed: "ctx|node:counter:len:value|...".
func EncodeRead(r Read) string {
	size := len(r.Context)
	for _, v := range r.Values {
		size += 32 + len(v)
	}
	var t text
	t.Grow(size)
	t.WriteString(r.Context)
	for i, v := range r.Values {
		t.sibling(r.Dots[i], v)
	}
	return t.String()
}

// encodeObjectRead is EncodeRead of what a get of o returns: o's context
// and its live siblings, latest write last, and how many there are. A
// single sibling, the usual answer, is written without building either.
func encodeObjectRead(o Object) (string, int) {
	text, live, _ := encodeObjectReadContext(o)
	return text, live
}

// encodeObjectReadContext is encodeObjectRead, with the context it
// built: nil for a single sibling, whose context it writes without
// building it.
func encodeObjectReadContext(o Object) (string, int, VV) {
	var t text
	if len(o.Siblings) != 1 {
		ctx := o.Context()
		var buf [8]Sibling
		live := o.liveByTime(buf[:0])
		size := contextBytes(ctx)
		for _, s := range live {
			size += 32 + len(s.Value)
		}
		t.Grow(size)
		t.context(ctx)
		for _, s := range live {
			t.sibling(s.Dot, s.Value)
		}
		return t.String(), len(live), ctx
	}
	s := o.Siblings[0]
	size := contextBytes(s.Past) + 14
	if !s.Tombstone {
		size += 32 + len(s.Value)
	}
	t.Grow(size)
	// The context is the sibling's clock: its past with its dot. It opens
	// the text, so an entry follows another exactly when the text is not
	// empty.
	dotWritten := false
	for _, e := range s.Past {
		switch {
		case !dotWritten && e.Node == s.Dot.Node:
			t.contextEntry(Entry{e.Node, max(e.Counter, s.Dot.Counter)})
			dotWritten = true
			continue
		case !dotWritten && e.Node > s.Dot.Node:
			t.contextEntry(Entry{s.Dot.Node, s.Dot.Counter})
			dotWritten = true
		}
		t.contextEntry(e)
	}
	if !dotWritten {
		t.contextEntry(Entry{s.Dot.Node, s.Dot.Counter})
	}
	if s.Tombstone {
		return t.String(), 0, nil
	}
	t.sibling(s.Dot, s.Value)
	return t.String(), 1, nil
}

func (t *text) contextEntry(e Entry) {
	if t.Len() > 0 {
		t.WriteByte(',')
	}
	t.entry(e)
}

// DecodeRead reads what EncodeRead wrote.
func DecodeRead(s string) (Read, error) { return decodeRead(s, nil, nil) }

// decodeRead is DecodeRead with the values and dots appended to the
// given slices when they have room for them: a caller that keeps neither
// past its next read lends the same ones each time.
func decodeRead(s string, values []string, dots []Dot) (Read, error) {
	ctx, rest, _ := strings.Cut(s, "|")
	r := Read{Context: ctx}
	if err := scanContext(ctx, func(Entry) {}); err != nil {
		return Read{}, err
	}
	switch siblings := strings.Count(s, "|"); {
	case siblings > 0 && siblings <= cap(values) && siblings <= cap(dots):
		r.Values, r.Dots = values[:0], dots[:0]
	case siblings == 1:
		// The usual read, a single sibling: its value and its dot in one
		// allocation.
		one := new(struct {
			value [1]string
			dot   [1]Dot
		})
		r.Values, r.Dots = one.value[:0], one.dot[:0]
	case siblings > 1:
		r.Values, r.Dots = make([]string, 0, siblings), make([]Dot, 0, siblings)
	}
	if rest == "" && !strings.Contains(s, "|") {
		return r, nil
	}
	for {
		nodeText, after1, ok1 := strings.Cut(rest, ":")
		counterText, after2, ok2 := strings.Cut(after1, ":")
		lenText, after, ok := strings.Cut(after2, ":")
		node, err1 := strconv.ParseInt(nodeText, 10, 64)
		counter, err2 := strconv.ParseUint(counterText, 10, 64)
		n, err := strconv.Atoi(lenText)
		if !ok || !ok1 || !ok2 || err != nil || err1 != nil || err2 != nil || n < 0 || n > len(after) {
			return Read{}, fmt.Errorf("dynamo: bad sibling encoding in read %q", s)
		}
		r.Values = append(r.Values, after[:n])
		r.Dots = append(r.Dots, Dot{Node: node, Counter: counter})
		rest = after[n:]
		if rest == "" {
			return r, nil
		}
		if rest[0] != '|' {
			return Read{}, fmt.Errorf("dynamo: bad sibling separator in read %q", s)
		}
		rest = rest[1:]
	}
}
