package checker

import (
	"io"
	"time"
)

// Recorded is a client history together with the model that judges it,
// with the types erased: what a harness needs to check, count, describe and
// write the history of any system without knowing its operation types.
// Linearizable makes one from a typed Model and History; a model of
// another kind (transactions) implements it directly.
type Recorded interface {
	// Model names the model, as `simrun check -model` takes it ("kv").
	Model() string
	// CheckName names the check in verdicts ("linearizable").
	CheckName() string
	// Summaries describes every operation, in OpID order.
	Summaries() []OpSummary
	// Check judges the history.
	Check(opts CheckOptions) Result
	// WriteJSONL writes the history in the JSON Lines format
	// (docs/HISTORY_FORMAT.md) that `simrun check -model Model()` reads.
	WriteJSONL(w io.Writer) error
	// Staleness measures how stale the history's reads were; ok is false
	// when the model's reads cannot be measured.
	Staleness() (s Staleness, ok bool)
}

// Outliner is a Recorded history that can list its operations without
// describing them: each Text is formatted through the model, and only a
// report of a failure reads them, while every run counts, times and
// judges the operations.
type Outliner interface {
	// Outlines is Summaries with every Text left empty.
	Outlines() []OpSummary
}

// Outlines lists h's operations as Summaries does, without their texts
// where h is an Outliner; other histories give their summaries whole.
func Outlines(h Recorded) []OpSummary {
	if o, ok := h.(Outliner); ok {
		return o.Outlines()
	}
	return h.Summaries()
}

// OpSummary is one operation as a report shows it.
type OpSummary struct {
	ID     OpID
	Client int
	Call   time.Duration
	Return time.Duration // meaningful only when Status is OpCompleted
	Status OpStatus
	// Partition is the independent part of the state the operation
	// touches (the key), "" for an unpartitioned model.
	Partition string
	// Text describes the operation and its outcome, through the model.
	Text string
	// Writes reports whether the operation may change the state (a put,
	// not a get), so that a report can point at the write a read missed.
	Writes bool
}

// LinearizableOptions are the optional parts of a Recorded history.
type LinearizableOptions[In, Out any] struct {
	// Write writes the history as JSON Lines; nil makes WriteJSONL fail.
	Write func(w io.Writer, h *History[In, Out]) error
	// Staleness measures the history's reads; nil means it cannot.
	Staleness func(h *History[In, Out]) Staleness
	// Writes says whether an input may change the state; nil means every
	// operation may.
	Writes func(in In) bool

	_ struct{}
}

// Linearizable returns h, judged for linearizability under m, as a
// Recorded history named model.
func Linearizable[S, In, Out any](model string, m Model[S, In, Out], h *History[In, Out], opts LinearizableOptions[In, Out]) Recorded {
	return &linearizable[S, In, Out]{name: model, m: m, h: h, opts: opts}
}

// RecordedKV is a key-value history, judged under KVModel.
func RecordedKV(h *History[KVInput, KVOutput]) Recorded {
	return Linearizable("kv", KVModel(), h, LinearizableOptions[KVInput, KVOutput]{
		Write:     WriteKV,
		Staleness: MeasureStaleness,
		Writes:    func(in KVInput) bool { return in.Kind != KVGet },
	})
}

type linearizable[S, In, Out any] struct {
	name string
	m    Model[S, In, Out]
	h    *History[In, Out]
	opts LinearizableOptions[In, Out]
}

func (l *linearizable[S, In, Out]) Model() string     { return l.name }
func (l *linearizable[S, In, Out]) CheckName() string { return "linearizable" }

func (l *linearizable[S, In, Out]) Check(opts CheckOptions) Result { return Check(l.m, l.h, opts) }

func (l *linearizable[S, In, Out]) WriteJSONL(w io.Writer) error {
	if l.opts.Write == nil {
		return errNoWriter(l.name)
	}
	return l.opts.Write(w, l.h)
}

func (l *linearizable[S, In, Out]) Staleness() (Staleness, bool) {
	if l.opts.Staleness == nil {
		return Staleness{}, false
	}
	return l.opts.Staleness(l.h), true
}

func (l *linearizable[S, In, Out]) Summaries() []OpSummary { return l.summaries(true) }

func (l *linearizable[S, In, Out]) Outlines() []OpSummary { return l.summaries(false) }

func (l *linearizable[S, In, Out]) summaries(texts bool) []OpSummary {
	ops := l.h.Ops()
	out := make([]OpSummary, len(ops))
	for i, op := range ops {
		s := OpSummary{ID: op.ID, Client: op.Client, Call: op.Call, Return: op.Return, Status: op.Status, Writes: true}
		if l.m.Partition != nil {
			s.Partition = l.m.Partition(op.In)
		}
		if l.opts.Writes != nil {
			s.Writes = l.opts.Writes(op.In)
		}
		if !texts {
			out[i] = s
			continue
		}
		switch op.Status {
		case OpCompleted:
			if op.Unobserved {
				s.Text = l.m.describeInput(op.In) + " -> ? (returned; output not observed)"
				break
			}
			s.Text = l.m.describeOp(op.In, output[Out]{out: op.Out, known: true})
		case OpPending:
			s.Text = l.m.describeInput(op.In) + " -> ? (unknown)"
		case OpFailed:
			s.Text = l.m.describeInput(op.In) + " -> failed (never applied)"
		}
		out[i] = s
	}
	return out
}

type errNoWriter string

func (e errNoWriter) Error() string {
	return "checker: the " + string(e) + " history has no JSON Lines writer"
}
