package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// RecordKind is the kind of a trace record.
type RecordKind uint8

const (
	KindSend RecordKind = iota + 1
	KindDeliver
	KindDrop
	KindDuplicate
	KindTimer
	KindBoot
	KindCrash
	KindRestart
	KindPause
	KindResume
	KindFault
	KindClock
	KindLog
	KindOp
	kindCount
)

var kindNames = [kindCount]string{
	KindSend: "send", KindDeliver: "deliver", KindDrop: "drop", KindDuplicate: "duplicate",
	KindTimer: "timer", KindBoot: "boot", KindCrash: "crash", KindRestart: "restart",
	KindPause: "pause", KindResume: "resume", KindFault: "fault", KindClock: "clock",
	KindLog: "log", KindOp: "op",
}

func (k RecordKind) String() string {
	if k > 0 && k < kindCount {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseRecordKind is the inverse of RecordKind.String.
func ParseRecordKind(s string) (RecordKind, error) {
	for k := KindSend; k < kindCount; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("sim: unknown record kind %q (kinds: %s)", s, strings.Join(kindNames[KindSend:], ", "))
}

// Record is one entry of the trace. The trace hash covers Kind, At, Host,
// Peer, ID, Size and Label; Text and Body are rendered only for sinks.
//
// For message records (send, duplicate, drop) Host is the sender and Peer
// the receiver; for deliver, Host is the receiver and Peer the sender.
type Record struct {
	// Index is the number of the event during which the record was made.
	Index uint64
	At    time.Duration
	Kind  RecordKind
	Host  HostID
	Peer  HostID // the other end of a message, or NoHost
	// HostName and PeerName are filled in for sinks.
	HostName, PeerName string
	// ID is a message id, timer id, incarnation, or kind-specific number.
	ID   uint64
	Size int
	// Label is a message's type, a log line's format, or a fault's name.
	Label string
	// Text is a log line or description, formatted for sinks only.
	Text string
	// Body is the message, for sinks only.
	Body any

	// world names the hosts that Body holds ids of, in String; nil for a
	// record read back.
	world *World
}

// Sink receives trace records as they happen. The record is valid only
// during the call.
type Sink interface {
	Write(r *Record) error
}

// Tracing reports whether the world writes its trace to a sink. The trace
// hash covers a record's label and never its text, so the text of a Trace
// record, and the arguments of a Logf, reach nothing but a sink: where
// there is none, a hot path may leave them out and spare their cost. The
// answer is fixed when the world is made.
func (w *World) Tracing() bool { return w.sink != nil }

// Tracing reports whether env's Logf formats its arguments, which only a
// world with a trace sink does (World.Tracing). Where it does not, a call
// of Logf with the same format and no arguments gives the same trace and
// hash, and spares boxing the arguments: through an interface they escape
// to the heap even when nothing reads them. An Env that is not a world's
// own reports true.
func Tracing(e Env) bool {
	if own, ok := e.(*env); ok {
		return own.h.w.sink != nil
	}
	return true
}

// Trace adds a record made outside the world's own machinery (a client
// operation, a nemesis fault) to the trace and the hash. Index and At are
// set by the world.
func (w *World) Trace(kind RecordKind, host HostID, label, text string) {
	w.emit(kind, host, NoHost, 0, 0, label, text, nil)
}

// TraceMessage records a network event about a message.
func (w *World) TraceMessage(kind RecordKind, m Message) {
	w.emitMessage(kind, m.From, m.To, &m)
}

// emitMessage records an event about m, between host and peer, through
// its LabelHash if it has one (and it is the label's).
func (w *World) emitMessage(kind RecordKind, host, peer HostID, m *Message) {
	if m.LabelHash == nil || m.LabelHash.label != m.Label || m.Label == "" {
		w.emit(kind, host, peer, m.ID, m.Size, m.Label, "", m.Body)
		return
	}
	w.hash = m.LabelHash.hash(w.head(kind, host, peer, m.ID, m.Size))
	if w.sink != nil {
		w.write(kind, host, peer, m.ID, m.Size, m.Label, "", m.Body)
	}
}

func (w *World) emit(kind RecordKind, host, peer HostID, id uint64, size int, label, text string, body any) {
	h := w.head(kind, host, peer, id, size)
	if label != "" {
		h = w.hashLabel(h, label)
	}
	w.hash = h
	if w.sink != nil {
		w.write(kind, host, peer, id, size, label, text, body)
	}
}

// head is the trace hash moved on by a record's fields but its label.
func (w *World) head(kind RecordKind, host, peer HostID, id uint64, size int) uint64 {
	h := mix(w.hash, uint64(kind)|uint64(uint32(host))<<8|uint64(uint32(peer))<<40)
	return mix(mix(mix(h, uint64(w.now)), id), uint64(size))
}

// write hands a record to the sink.
func (w *World) write(kind RecordKind, host, peer HostID, id uint64, size int, label, text string, body any) {
	r := &w.rec
	*r = Record{Index: w.events, At: w.now, Kind: kind, Host: host, Peer: peer, ID: id, Size: size, Label: label, Text: text, Body: body, world: w}
	w.send(r)
}

func (w *World) send(r *Record) {
	if r.Host >= 0 && int(r.Host) < len(w.hosts) {
		r.HostName = w.hosts[r.Host].name
	}
	if r.Peer >= 0 && int(r.Peer) < len(w.hosts) {
		r.PeerName = w.hosts[r.Peer].name
	}
	if err := w.sink.Write(r); err != nil {
		w.Halt(fmt.Errorf("sim: trace sink: %w", err))
	}
}

const (
	hashInit  uint64 = 0xcbf29ce484222325
	hashPrime uint64 = 0x100000001b3
)

func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>31
}

func hashString(h uint64, s string) uint64 { return mix(loopString(h, s), uint64(len(s))) }

// loopString is hashString's byte loop (FNV-1a's, from h).
func loopString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= hashPrime
	}
	return h
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// TextSink writes one human-readable line per record.
type TextSink struct {
	w *bufio.Writer
}

// NewTextSink writes to w. Call Flush when the run is over.
func NewTextSink(w io.Writer) *TextSink { return &TextSink{w: bufio.NewWriter(w)} }

func (s *TextSink) Write(r *Record) error {
	b := appendText(s.w.AvailableBuffer(), r)
	b = append(b, '\n')
	_, err := s.w.Write(b)
	return err
}

// String is the record as TextSink writes it, without the newline.
func (r *Record) String() string { return string(appendText(nil, r)) }

func appendText(b []byte, r *Record) []byte {
	b = fmt.Appendf(b, "%8d %14v %-9s %s", r.Index, r.At, r.Kind, nameOr(r.HostName, r.Host))
	if r.Peer != NoHost || r.PeerName != "" {
		b = fmt.Appendf(b, " <-> %s", nameOr(r.PeerName, r.Peer))
	}
	if r.ID != 0 {
		b = fmt.Appendf(b, " #%d", r.ID)
	}
	if r.Label != "" && r.Text == "" {
		b = fmt.Appendf(b, " %s", r.Label)
	}
	if r.Text != "" {
		b = fmt.Appendf(b, " %s", r.Text)
	}
	if r.Body != nil {
		b = append(b, ' ')
		b = appendBody(b, r.Body, r.world)
	}
	return b
}

// Flush writes out buffered lines.
func (s *TextSink) Flush() error { return s.w.Flush() }

func nameOr(name string, id HostID) string {
	if name != "" {
		return name
	}
	return id.String()
}

// JSONSink writes one JSON object per record (JSON Lines). Fields: i (event
// index), t (true time in ns), kind, host, peer, id, size, label, text, msg.
type JSONSink struct {
	w *bufio.Writer
}

// NewJSONSink writes to w. Call Flush when the run is over.
func NewJSONSink(w io.Writer) *JSONSink { return &JSONSink{w: bufio.NewWriter(w)} }

func (s *JSONSink) Write(r *Record) error {
	b := s.w.AvailableBuffer()
	b = append(b, `{"i":`...)
	b = strconv.AppendUint(b, r.Index, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, int64(r.At), 10)
	b = append(b, `,"kind":"`...)
	b = append(b, r.Kind.String()...)
	b = append(b, `","host":`...)
	b = strconv.AppendQuote(b, nameOr(r.HostName, r.Host))
	if r.Peer != NoHost || r.PeerName != "" {
		b = append(b, `,"peer":`...)
		b = strconv.AppendQuote(b, nameOr(r.PeerName, r.Peer))
	}
	if r.ID != 0 {
		b = append(b, `,"id":`...)
		b = strconv.AppendUint(b, r.ID, 10)
	}
	if r.Size != 0 {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, int64(r.Size), 10)
	}
	if r.Label != "" {
		b = append(b, `,"label":`...)
		b = appendJSONString(b, r.Label)
	}
	if r.Text != "" {
		b = append(b, `,"text":`...)
		b = appendJSONString(b, r.Text)
	}
	if r.Body != nil {
		b = append(b, `,"msg":`...)
		if enc, err := appendJSONBody(b, r.Body, r.world); err == nil {
			b = enc
		} else {
			b = appendJSONString(b, fmt.Sprintf("%+v", r.Body))
		}
	}
	b = append(b, "}\n"...)
	_, err := s.w.Write(b)
	return err
}

// Flush writes out buffered lines.
func (s *JSONSink) Flush() error { return s.w.Flush() }

func appendJSONString(b []byte, s string) []byte {
	enc, _ := json.Marshal(s) // a string always marshals
	return append(b, enc...)
}
