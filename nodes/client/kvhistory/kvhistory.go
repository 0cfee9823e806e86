package kvhistory

import (
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/nodes/client"
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
