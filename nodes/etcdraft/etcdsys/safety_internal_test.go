package etcdsys

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/sim"
)

// pairwiseLogMatching is log matching as its definition reads, every
// pair of logs compared entry by entry: the reference matchLogs must
// agree with.
func pairwiseLogMatching(logs []nodeLog) error {
	for i := range logs {
		for j := i + 1; j < len(logs); j++ {
			a, b := &logs[i], &logs[j]
			matched := false
			for k := min(a.last, b.last); k >= max(a.first, b.first) && k > 0; k-- {
				ea, eb := &a.ents[k-a.first], &b.ents[k-b.first]
				if ea.Term == eb.Term {
					matched = true
					if ea.Type != eb.Type || string(ea.Data) != string(eb.Data) {
						return fmt.Errorf("log matching: h%d and h%d hold different entries of term %d at index %d", a.id, b.id, ea.Term, k)
					}
				} else if matched {
					return fmt.Errorf("log matching: h%d and h%d agree at a later index but differ at %d (terms %d and %d)", a.id, b.id, k, ea.Term, eb.Term)
				}
			}
		}
	}
	return nil
}

// TestMatchLogsFindsWhatEveryPairWouldFind draws logs that mostly agree,
// with entries changed in term, type or data here and there and logs cut
// at either end, and compares matchLogs' verdict and message with the
// pairwise definition's, for a fresh matcher and for one that keeps its
// buffers from every earlier round.
func TestMatchLogsFindsWhatEveryPairWouldFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	var kept logMatcher
	verdicts := map[bool]int{}
	for round := 0; round < 3000; round++ {
		n, length := 1+rng.IntN(5), 1+rng.IntN(12)
		base := make([]raftpb.Entry, length)
		for k := range base {
			base[k] = raftpb.Entry{Index: uint64(k + 1), Term: uint64(1 + k/4), Data: []byte{byte(k), 'v'}}
		}
		logs := make([]nodeLog, n)
		for i := range logs {
			first := uint64(1 + rng.IntN(3))
			last := min(uint64(length-rng.IntN(3)), uint64(length))
			l := nodeLog{id: sim.HostID(i), first: first, last: last}
			for k := first; k <= last; k++ {
				e := base[k-1]
				e.Data = append([]byte(nil), e.Data...) // as each node unmarshals its own
				switch rng.IntN(40) {
				case 0:
					e.Term++
				case 1:
					e.Type = raftpb.EntryConfChange
				case 2:
					e.Data[0] ^= 1
				}
				l.ents = append(l.ents, e)
			}
			logs[i] = l
		}
		want, got := pairwiseLogMatching(logs), matchLogs(logs)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: matchLogs says %v, every pair says %v", round, got, want)
		}
		if again := kept.match(logs); fmt.Sprint(again) != fmt.Sprint(want) {
			t.Fatalf("round %d: a matcher kept from earlier rounds says %v, every pair says %v", round, again, want)
		}
		verdicts[want == nil]++
	}
	if verdicts[true] < 300 || verdicts[false] < 300 {
		t.Fatalf("verdicts %v: the logs drawn do not exercise both outcomes", verdicts)
	}
}
