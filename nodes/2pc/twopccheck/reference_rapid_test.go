package twopccheck

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/detsim/detsim/nodes/2pc"
	"github.com/detsim/detsim/sim"
)

// TestAtomicityIsItsMapReference drives Atomicity and its reference with
// the same reports, drawn over a few shards, hosts and transactions so
// that they collide (endings both ways, crashes between a vote and its
// end, restarts that lose a vote), and finds the same verdict after every
// report and the same counters and liveness verdict throughout.
func TestAtomicityIsItsMapReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var now time.Duration
		clock := func() time.Duration { return now }
		fast, ref := New(clock, nil), newMapAtomicity(clock)
		stuck := time.Duration(rapid.IntRange(0, 50).Draw(t, "stuck_after_ms")) * time.Millisecond
		fast.StuckAfter, ref.StuckAfter = stuck, stuck
		txn := func(label string) twopc.TxnID {
			return twopc.TxnID{Client: uint64(rapid.IntRange(1, 2).Draw(t, label+"_client")), Seq: uint64(rapid.IntRange(1, 3).Draw(t, label+"_seq"))}
		}
		shard := func() int { return rapid.IntRange(0, 3).Draw(t, "shard") }
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			now += time.Duration(rapid.IntRange(0, 20).Draw(t, "advance_ms")) * time.Millisecond
			var step string
			switch rapid.IntRange(0, 6).Draw(t, "kind") {
			case 0:
				s, id := shard(), txn("prepared")
				fast.Prepared(s, id)
				ref.Prepared(s, id)
				step = fmt.Sprintf("Prepared(%d, %v)", s, id)
			case 1:
				s, id := shard(), txn("finished")
				commit, durable := rapid.Bool().Draw(t, "commit"), rapid.Bool().Draw(t, "durable")
				fast.Finished(s, id, commit, durable)
				ref.Finished(s, id, commit, durable)
				step = fmt.Sprintf("Finished(%d, %v, %v, %v)", s, id, commit, durable)
			case 2:
				h, id := sim.HostID(rapid.IntRange(0, 2).Draw(t, "host")), txn("decided")
				commit := rapid.Bool().Draw(t, "commit")
				fast.Decided(h, id, commit)
				ref.Decided(h, id, commit)
				step = fmt.Sprintf("Decided(%v, %v, %v)", h, id, commit)
			case 3:
				s, id := shard(), txn("in_doubt")
				fast.InDoubt(s, id)
				ref.InDoubt(s, id)
				step = fmt.Sprintf("InDoubt(%d, %v)", s, id)
			case 4:
				s, id := shard(), txn("queried")
				fast.Queried(s, id)
				ref.Queried(s, id)
				fast.VotedNo(s, id)
				ref.VotedNo(s, id)
				step = "Queried, VotedNo"
			case 5:
				h, s := sim.HostID(rapid.IntRange(0, 2).Draw(t, "host")), rapid.IntRange(-1, 3).Draw(t, "recovered_shard")
				var kept []twopc.TxnID
				for _, id := range rapid.SliceOfN(rapid.Custom(func(t *rapid.T) twopc.TxnID { return txn("kept") }), 0, 3).Draw(t, "kept") {
					if !slices.Contains(kept, id) {
						kept = append(kept, id)
					}
				}
				slices.SortFunc(kept, func(a, b twopc.TxnID) int {
					if a.Client != b.Client {
						return int(a.Client) - int(b.Client)
					}
					return int(a.Seq) - int(b.Seq)
				})
				fast.Recovered(h, s, kept)
				ref.Recovered(h, s, kept)
				step = fmt.Sprintf("Recovered(%v, %d, %v)", h, s, kept)
			case 6:
				step = "a look at the counters"
			}
			if got, want := describe(fast), describeRef(ref); got != want {
				t.Fatalf("after %s:\n got %s\nwant %s", step, got, want)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func describe(a *Atomicity) string {
	return fmt.Sprintf("check=%s liveness=%s blocked=%v stuck=%d longest=%v committed=%d aborted=%d recoveries=%d queries=%d no=%d",
		errString(a.Check()), errString(a.Liveness()), a.BlockedTime(), a.Stuck(), a.LongestInDoubt(), a.Committed(), a.Aborted(), a.Recoveries(), a.Queries(), a.VotesNo())
}

func describeRef(a *mapAtomicity) string {
	return fmt.Sprintf("check=%s liveness=%s blocked=%v stuck=%d longest=%v committed=%d aborted=%d recoveries=%d queries=%d no=%d",
		errString(a.Check()), errString(a.Liveness()), a.BlockedTime(), a.Stuck(), a.LongestInDoubt(), a.Committed(), a.Aborted(), a.Recoveries(), a.Queries(), a.VotesNo())
}
