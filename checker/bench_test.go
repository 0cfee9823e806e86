package checker

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// BenchmarkCheckKV10k checks a 10,000-operation linearizable history over
// 100 keys from 10 clients, 5% of it pending. Run with -cpu 1 for the
// one-core figure.
func BenchmarkCheckKV10k(b *testing.B) {
	h := buildKV(genKV(1, 10_000, 100, 10, 0.05))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := Check(KVModel(), h, CheckOptions{}); res.Verdict != Ok {
			b.Fatalf("verdict %v, want Ok:\n%v", res.Verdict, res)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(sec*1000/float64(b.N), "ms/check")
	b.ReportMetric(float64(h.Len()*b.N)/sec, "ops/s")
}

// BenchmarkCheckListAppend100k checks a 100,000-transaction strict
// serializable list-append history: 20 clients, up to 6 micro-operations
// per transaction over 16 keys in use at a time (one retiring every 100
// transactions, so lists stay a few hundred long, as Elle's generator keeps
// them), 5% indeterminate and 5% aborted.
func BenchmarkCheckListAppend100k(b *testing.B) {
	benchmarkTxnCheck(b, false, CheckListAppend)
}

// BenchmarkCheckRWRegister100k is the same over registers.
func BenchmarkCheckRWRegister100k(b *testing.B) {
	benchmarkTxnCheck(b, true, CheckRWRegister)
}

func benchmarkTxnCheck(b *testing.B, register bool, check func([]Txn, TxnOptions) (TxnResult, error)) {
	rng := rand.New(rand.NewPCG(1, 2))
	txns := genTxns(rng.IntN, txnGen{txns: 100_000, clients: 20, keys: 16, keyShift: 100, mopsMax: 6,
		register: register, infoPercent: 5, failPercent: 5})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := check(txns, TxnOptions{})
		if err != nil || res.Strongest != StrictSerializable {
			b.Fatalf("%v: %v", err, res)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(sec*1000/float64(b.N), "ms/check")
	b.ReportMetric(float64(len(txns)*b.N)/sec, "txns/s")
}

// BenchmarkReadTxns100k reads the list-append history of
// BenchmarkCheckListAppend100k from its JSON Lines form (96 MB: the reads
// carry lists a few hundred long).
func BenchmarkReadTxns100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	txns := genTxns(rng.IntN, txnGen{txns: 100_000, clients: 20, keys: 16, keyShift: 100, mopsMax: 6, infoPercent: 5, failPercent: 5})
	var buf bytes.Buffer
	if err := WriteTxns(&buf, txns); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ReadTxns(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(txns)*b.N)/b.Elapsed().Seconds(), "txns/s")
}

// BenchmarkCheckIllegal checks a register history that is not
// linearizable and whose search must try every order of 9 concurrent
// writes before it knows: the cost of explaining a failure.
func BenchmarkCheckIllegal(b *testing.B) {
	h := hardRegister(9)
	for i := 0; i < b.N; i++ {
		if res := Check(RegisterModel(), h, CheckOptions{}); res.Verdict != Illegal || res.Failure == nil {
			b.Fatalf("verdict %v, want Illegal with a failure", res.Verdict)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/check")
}
