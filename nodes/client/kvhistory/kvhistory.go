package kvhistory

import (
	"fmt"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/sim"
)

// History is the history a Recorder writes to.
type History = checker.History[checker.KVInput, checker.KVOutput]

// Recorder is a client.Recorder that writes to a History.
type Recorder struct {
	h   *History
	now func() time.Duration
}

var _ client.Recorder = (*Recorder)(nil)

// New returns a Recorder that writes to h, stamping times with now (true
// virtual time, such as sim.World.Now).
func New(h *History, now func() time.Duration) *Recorder {
	return &Recorder{h: h, now: now}
}

// Invoke records that client asked for op.
func (r *Recorder) Invoke(client int, op client.Op) int {
	return int(r.h.Invoke(client, Input(op), r.now()))
}

// Complete records that operation id took effect with result res.
func (r *Recorder) Complete(id int, res client.Result) {
	r.h.Complete(checker.OpID(id), Output(res), r.now())
}

// Fail records that operation id certainly never took effect.
func (r *Recorder) Fail(id int) {
	r.h.Fail(checker.OpID(id))
}

// Input converts an operation. An unknown kind becomes the zero KVKind,
// which the checker's model rejects as illegal.
func Input(op client.Op) checker.KVInput {
	var k checker.KVKind
	switch op.Kind {
	case client.OpGet:
		k = checker.KVGet
	case client.OpPut:
		k = checker.KVPut
	case client.OpAppend:
		k = checker.KVAppend
	case client.OpDelete:
		k = checker.KVDelete
	case client.OpCAS:
		k = checker.KVCAS
	}
	return checker.KVInput{Kind: k, Key: op.Key, Value: op.Value, Want: op.Want}
}

// Output converts a result.
func Output(res client.Result) checker.KVOutput {
	return checker.KVOutput{Value: res.Value, Found: res.Found, OK: res.OK}
}

// Tracer is the part of sim.World a Tracing recorder writes to.
type Tracer interface {
	Trace(kind sim.RecordKind, host sim.HostID, label, text string)
	Now() time.Duration
}

// Tracing is a Recorder that also puts every operation into the world's
// trace, and so into its trace hash, as it records it. Client n runs on
// host firstClient+n-1.
type Tracing struct {
	*Recorder
	w           Tracer
	firstClient sim.HostID
	// texts: whether the world has a sink, the only reader of a record's
	// text (the hash covers its label alone). Formatting the text of
	// every operation of a run with no sink took 5% of the run.
	texts bool
}

// NewTracing returns a Tracing recorder into h for clients whose first
// host is firstClient.
func NewTracing(h *History, w Tracer, firstClient sim.HostID) *Tracing {
	t := &Tracing{Recorder: New(h, w.Now), w: w, firstClient: firstClient, texts: true}
	if tw, ok := w.(interface{ Tracing() bool }); ok {
		t.texts = tw.Tracing()
	}
	return t
}

func (t *Tracing) Invoke(client int, op client.Op) int {
	id := t.Recorder.Invoke(client, op)
	text := ""
	if t.texts {
		text = fmt.Sprintf("#%d %v %s %q want %q", id, op.Kind, op.Key, op.Value, op.Want)
	}
	t.w.Trace(sim.KindOp, t.firstClient+sim.HostID(client-1), "op.invoke", text)
	return id
}

func (t *Tracing) Complete(id int, res client.Result) {
	t.Recorder.Complete(id, res)
	text := ""
	if t.texts {
		text = fmt.Sprintf("#%d -> value %q found %v ok %v", id, res.Value, res.Found, res.OK)
	}
	t.w.Trace(sim.KindOp, sim.NoHost, "op.ok", text)
}

func (t *Tracing) Fail(id int) {
	t.Recorder.Fail(id)
	text := ""
	if t.texts {
		text = fmt.Sprintf("#%d failed: never applied", id)
	}
	t.w.Trace(sim.KindOp, sim.NoHost, "op.fail", text)
}
