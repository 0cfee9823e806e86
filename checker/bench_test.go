package checker

import "testing"

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
