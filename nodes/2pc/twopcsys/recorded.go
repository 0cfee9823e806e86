package twopcsys

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/detsim/detsim/checker"
)

// txnRecorded is a transaction history judged by the transactional
// checker: list-append (Elle's inference of version orders from reads) or
// rw-register, against one consistency model.
type txnRecorded struct {
	model string // "list-append" or "rw-register"
	want  checker.Consistency
	h     *checker.TxnHistory
}

// RecordedTxns returns h as a checker.Recorded that requires want; model
// is "list-append" or "rw-register".
func RecordedTxns(model string, want checker.Consistency, h *checker.TxnHistory) checker.Recorded {
	return &txnRecorded{model: model, want: want, h: h}
}

func (r *txnRecorded) Model() string     { return r.model }
func (r *txnRecorded) CheckName() string { return r.want.String() }

func (r *txnRecorded) Staleness() (checker.Staleness, bool) { return checker.Staleness{}, false }

func (r *txnRecorded) WriteJSONL(w io.Writer) error { return checker.WriteTxns(w, r.h.TxnsShared()) }

// Summaries describes every transaction. The texts are written into one
// buffer and each Text is a slice of it: one allocation for a history's
// texts, where a builder per transaction made a few each.
func (r *txnRecorded) Summaries() []checker.OpSummary { return r.summaries(true) }

// Outlines is Summaries without the texts (checker.Outliner): a passing
// run's result never reads them, so it need not write them.
func (r *txnRecorded) Outlines() []checker.OpSummary { return r.summaries(false) }

func (r *txnRecorded) summaries(texts bool) []checker.OpSummary {
	txns := r.h.TxnsShared()
	out := make([]checker.OpSummary, len(txns))
	ends := make([]int, len(txns))
	var b strings.Builder
	if texts {
		b.Grow(64 * len(txns))
	}
	for i, t := range txns {
		s := checker.OpSummary{ID: checker.OpID(t.ID), Client: t.Process + 1, Call: t.Call, Return: t.Return}
		if texts {
			b.WriteString("txn")
		}
		for _, m := range t.Mops {
			s.Writes = s.Writes || m.Kind != checker.MopRead
			if texts {
				describeMop(&b, m, t.Status == checker.TxnOK)
			}
		}
		switch t.Status {
		case checker.TxnOK:
			s.Status = checker.OpCompleted
		case checker.TxnFailed:
			s.Status = checker.OpFailed
			if texts {
				b.WriteString(" -> aborted")
			}
		default:
			s.Status = checker.OpPending
			if texts {
				b.WriteString(" -> ? (unknown)")
			}
		}
		out[i], ends[i] = s, b.Len()
	}
	if !texts {
		return out
	}
	all := b.String()
	start := 0
	for i, end := range ends {
		out[i].Text = all[start:end]
		start = end
	}
	return out
}

// describeMop writes m as Elle does ("[append k 3]", "[r k [1 2]]"), by
// hand: a history's summaries are made for every run.
func describeMop(b *strings.Builder, m checker.Mop, known bool) {
	b.WriteString(" [")
	b.WriteString(m.Kind.String())
	b.WriteByte(' ')
	b.WriteString(m.Key)
	b.WriteByte(' ')
	switch {
	case m.Kind != checker.MopRead:
		writeInt(b, m.Value)
	case !known:
		b.WriteByte('?')
	case m.List != nil:
		// Lists grow all run long; a summary shows their ends.
		b.WriteByte('[')
		for i, v := range m.List {
			if n := len(m.List); n > 8 && i >= 2 && i < n-3 {
				if i == 2 {
					b.WriteString(" ... (")
					writeInt(b, n)
					b.WriteString(" elements) ...")
				}
				continue
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			writeInt(b, v)
		}
		b.WriteByte(']')
	case m.Found:
		writeInt(b, m.Value)
	default:
		b.WriteString("nil")
	}
	b.WriteByte(']')
}

// writeInt writes v in decimal through a buffer on the stack: the values
// a client writes are too large for strconv.Itoa's cache of small ones.
func writeInt(b *strings.Builder, v int) {
	var digits [20]byte
	b.Write(strconv.AppendInt(digits[:0], int64(v), 10))
}

// Check runs the transactional checker. The failure it reports is the
// first anomaly that rules the wanted model out, with the transactions
// that form it as the culprits.
func (r *txnRecorded) Check(checker.CheckOptions) checker.Result {
	check := checker.CheckListAppend
	if r.model == "rw-register" {
		check = checker.CheckRWRegister
	}
	res, err := check(r.h.TxnsShared(), checker.TxnOptions{AnomaliesPerClassMax: 5})
	out := checker.Result{Partitions: 1}
	if err != nil {
		// A malformed history is a bug of the harness; it decides nothing.
		out.Verdict = checker.Unknown
		return out
	}
	out.Ops = res.TxnsOK + res.TxnsInfo
	out.OpsPending = res.TxnsInfo
	out.OpsFailed = res.TxnsFailed
	out.Elapsed = res.Elapsed
	out.Verdict = res.Verdict(r.want)
	switch out.Verdict {
	case checker.Illegal:
		out.PartitionsIllegal = 1
		for _, a := range res.Anomalies {
			if a.RulesOut() > r.want {
				continue
			}
			f := &checker.Failure{Explanation: fmt.Sprintf("%s (the history is at most %v): %s", a.Name(), res.Strongest, a.Explanation)}
			for _, id := range a.Txns {
				f.Ops = append(f.Ops, checker.OpID(id))
				f.Stuck = append(f.Stuck, checker.OpID(id))
			}
			f.NotLinearized = f.Stuck
			out.Failure = f
			break
		}
	case checker.Unknown:
		out.PartitionsUnknown = 1
	}
	return out
}
