package nodetest

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/detsim/detsim/sim"
)

// inflight is a trace sink that encodes every message body as it is sent
// and again as it is delivered. The body a send record carries is the
// network's copy, the very value the receiver will get; if its encoding
// changed in flight, some node mutated memory that copy shares with it (a
// Cloner that shares a slice, say), which a real network would never let
// happen.
type inflight struct {
	next    sim.Sink // another sink to pass every record on to, or nil
	sent    map[uint64]*sentMessage
	changed *mutation // the first message that changed, if any
	enc     encoder
}

type sentMessage struct {
	at       time.Duration
	from, to string
	label    string
	encoding []byte
	pending  int // copies not yet delivered or dropped
}

// mutation is a message whose body changed between its send and its
// delivery.
type mutation struct {
	id                 uint64
	label, from, to    string
	sentAt, deliverAt  time.Duration
	sent, delivered    string
	firstDifferentByte int
}

func (m *mutation) String() string {
	return fmt.Sprintf("message #%d (%s, %s to %s) changed between its send at %v and its delivery at %v: "+
		"the body the network copied still shares memory with a node, which mutated it (a net.Cloner that shares mutable memory?)\n"+
		"  sent:      %s\n  delivered: %s", m.id, m.label, m.from, m.to, m.sentAt, m.deliverAt, m.sent, m.delivered)
}

func newInflight(next sim.Sink) *inflight {
	return &inflight{next: next, sent: map[uint64]*sentMessage{}}
}

func (s *inflight) Write(r *sim.Record) error {
	switch r.Kind {
	case sim.KindSend:
		s.sent[r.ID] = &sentMessage{at: r.At, from: r.HostName, to: r.PeerName, label: r.Label,
			encoding: s.enc.encode(nil, r.Body), pending: 1}
	case sim.KindDuplicate:
		if m := s.sent[r.ID]; m != nil {
			m.pending++
		}
	case sim.KindDrop:
		if m := s.sent[r.ID]; m != nil && r.Peer != sim.NoHost {
			s.settle(r.ID, m)
		}
	case sim.KindDeliver:
		if m := s.sent[r.ID]; m != nil {
			if s.changed == nil {
				if got := s.enc.encode(nil, r.Body); !bytes.Equal(got, m.encoding) {
					s.changed = &mutation{id: r.ID, label: m.label, from: m.from, to: m.to, sentAt: m.at, deliverAt: r.At,
						sent: clip(string(m.encoding)), delivered: clip(string(got))}
				}
			}
			s.settle(r.ID, m)
		}
	}
	if s.next != nil {
		return s.next.Write(r)
	}
	return nil
}

func (s *inflight) settle(id uint64, m *sentMessage) {
	if m.pending--; m.pending <= 0 {
		delete(s.sent, id)
	}
}

func clip(s string) string {
	const most = 400
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}

// encoder writes a value's whole reachable contents in a canonical form:
// pointers are followed, unexported fields included, map entries sorted
// by their encoding. Two encodings are equal exactly when the contents
// are.
type encoder struct {
	path []uintptr // pointers on the way down, to stop at cycles
}

func (e *encoder) encode(b []byte, v any) []byte {
	e.path = e.path[:0]
	return e.value(b, reflect.ValueOf(v))
}

func (e *encoder) value(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Invalid:
		return append(b, "nil"...)
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.AppendUint(b, math.Float64bits(v.Float()), 16)
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		b = strconv.AppendUint(b, math.Float64bits(real(c)), 16)
		return strconv.AppendUint(append(b, 'i'), math.Float64bits(imag(c)), 16)
	case reflect.String:
		return strconv.AppendQuote(b, v.String())
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "nil"...)
		}
		p := v.Pointer()
		if slices.Contains(e.path, p) {
			return append(b, "<cycle>"...)
		}
		e.path = append(e.path, p)
		b = e.value(append(b, '&'), v.Elem())
		e.path = e.path[:len(e.path)-1]
		return b
	case reflect.Interface:
		if v.IsNil() {
			return append(b, "nil"...)
		}
		b = append(b, v.Elem().Type().String()...)
		return e.value(append(b, ':'), v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, "nil"...)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = e.value(b, v.Index(i))
		}
		return append(b, ']')
	case reflect.Map:
		if v.IsNil() {
			return append(b, "nil"...)
		}
		var entries [][]byte
		iter := v.MapRange() //detsim:maporder the entries' encodings are sorted before they are written
		for iter.Next() {
			kv := e.value(nil, iter.Key())
			kv = e.value(append(kv, ':'), iter.Value())
			entries = append(entries, kv)
		}
		slices.SortFunc(entries, bytes.Compare)
		b = append(b, "map["...)
		for i, kv := range entries {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, kv...)
		}
		return append(b, ']')
	case reflect.Struct:
		t := v.Type()
		b = append(b, '{')
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, t.Field(i).Name...)
			b = e.value(append(b, ':'), v.Field(i))
		}
		return append(b, '}')
	}
	// Channels, functions and unsafe pointers: their identity is all
	// there is to compare.
	return fmt.Appendf(b, "%s@%x", v.Kind(), v.Pointer())
}
