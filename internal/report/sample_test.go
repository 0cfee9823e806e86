package report

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

const ms1 = time.Millisecond

// samplePage is a made-up but plausible failing run: a five-server cluster
// whose leader n1 is isolated, a new leader elected, a crash of n3, and a
// client whose read returns a stale value.
func samplePage() Page {
	rng := rand.New(rand.NewPCG(1, 2))
	jitter := func(lo, hi int) time.Duration {
		return time.Duration(lo)*100*time.Microsecond + time.Duration(rng.IntN((hi-lo)*100+1))*time.Microsecond
	}
	p := Page{
		Title:     "leader-isolation seed 42: fail",
		Scenario:  "leader-isolation",
		Seed:      42,
		Verdict:   "fail",
		Reasons:   []string{"linearizability: get(k1) returned \"v3\" at 3102.400 ms, but put(k1, v4) had completed at 2870.000 ms", "2 operations still pending at the end of the run"},
		Replay:    "simrun replay failures/leader-isolation-42/spec.json",
		Start:     1500 * ms1,
		End:       3500 * ms1,
		FailureAt: 3102400 * time.Microsecond,
		Hosts:     []string{"n1", "n2", "n3", "n4", "n5"},
		Clients:   []string{"c1", "c2", "c3"},
		Faults: []Fault{
			{Start: 1000 * ms1, End: 1200 * ms1, Kind: "pause", Label: "pause target=n2", Hosts: []string{"n2"}},
			{Start: 1300 * ms1, End: 1700 * ms1, Kind: "link", Label: "link target=n4 loss=0.3", Hosts: []string{"n4"}},
			{Start: 1800 * ms1, End: 2700 * ms1, Kind: "partition", Label: "partition topology=isolate target=leader"},
			{Start: 1801 * ms1, End: 1801 * ms1, Kind: "clock-step", Label: "clock-step target=n1 step=-1s", Hosts: []string{"n1"}},
			{Start: 2200 * ms1, End: 2600 * ms1, Kind: "crash", Label: "crash target=n3", Hosts: []string{"n3"}},
			{Start: 2600 * ms1, End: 2600 * ms1, Kind: "restart", Label: "restart target=all"},
			{Start: 2700 * ms1, End: 2700 * ms1, Kind: "heal", Label: "heal"},
			{Start: 3000 * ms1, End: 3000 * ms1, Kind: "heal", Label: "heal phase: every fault undone"},
		},
	}
	partitioned := func(a, b string, t time.Duration) bool {
		return t >= 1800*ms1 && t < 2700*ms1 && (a == "n1") != (b == "n1")
	}
	down := func(h string, t time.Duration) bool { return h == "n3" && t >= 2200*ms1 && t < 2600*ms1 }
	send := func(from, to string, t time.Duration, label, detail string) (time.Duration, bool) {
		m := Message{From: from, To: to, Sent: t, Label: label, Detail: detail}
		switch {
		case partitioned(from, to, t) || down(to, t):
			m.Dropped, m.Received = true, t+jitter(0, 1)
		default:
			m.Received = t + jitter(8, 45)
		}
		if m.Received > p.End {
			m.Received = p.End
		}
		p.Messages = append(p.Messages, m)
		return m.Received, !m.Dropped
	}
	leader := func(t time.Duration) string {
		if t < 1980*ms1 {
			return "n1"
		}
		return "n2"
	}
	term := func(t time.Duration) int {
		if t < 1950*ms1 {
			return 3
		}
		return 4
	}
	for t := p.Start + 7*ms1; t < p.End; t += 50 * ms1 {
		ls := []string{leader(t)}
		if t >= 1980*ms1 && t < 2700*ms1 {
			ls = append(ls, "n1") // the old leader does not know yet
		}
		for _, l := range ls {
			for _, h := range p.Hosts {
				if h == l || down(l, t) {
					continue
				}
				tt := t + jitter(0, 6)
				detail := fmt.Sprintf(`{"term":%d,"prev":%d,"commit":%d,"entries":[]}`, term(tt), int(tt/ms1)/25, int(tt/ms1)/25-1)
				if at, ok := send(l, h, tt, "AppendEntries", detail); ok && !down(h, at) {
					send(h, l, at+jitter(1, 4), "AppendEntriesResp", `{"success":true}`)
				}
			}
		}
		if t >= 1950*ms1 && t < 2000*ms1 {
			for _, h := range p.Hosts {
				if h != "n2" {
					if at, ok := send("n2", h, 1952*ms1, "RequestVote", `{"term":4,"lastLogIndex":77}`); ok {
						send(h, "n2", at+jitter(1, 3), "RequestVoteResp", `{"granted":true}`)
					}
				}
			}
		}
	}
	type opSpec struct {
		client    string
		at        time.Duration
		text      string
		pending   bool
		failed    bool
		highlight bool
	}
	ops := []opSpec{
		{"c1", 1620 * ms1, "put(k1, v3) -> ok", false, false, false},
		{"c2", 1700 * ms1, "get(k2) -> \"a\"", false, false, false},
		{"c1", 1850 * ms1, "put(k1, v5) -> ? (unknown)", true, false, true},
		{"c3", 1900 * ms1, "append(k2, b) -> failed (never applied)", false, true, false},
		{"c2", 2150 * ms1, "cas(k2, \"a\" -> c) -> true", false, false, false},
		{"c3", 2400 * ms1, "get(k3) -> not found", false, false, false},
		{"c2", 2850 * ms1, "put(k1, v4) -> ok", false, false, true},
		{"c3", 3080 * ms1, "get(k1) -> \"v3\"", false, false, true},
		{"c2", 3300 * ms1, "delete(k3) -> existed false", false, false, false},
		{"c1", 3390 * ms1, "get(k2) -> ? (unknown)", true, false, false},
	}
	for _, o := range ops {
		target := leader(o.at)
		if o.client == "c1" && o.at < 2700*ms1 {
			target = "n1" // c1 still talks to the old leader
		}
		if o.client == "c3" && o.at > 3000*ms1 {
			target = "n1" // and c3 reads from a stale one
		}
		at, ok := send(o.client, target, o.at, "ClientRequest", fmt.Sprintf(`{"op":%q}`, o.text))
		op := Op{Client: o.client, Call: o.at, Pending: o.pending, Failed: o.failed, Highlight: o.highlight, Text: o.text}
		switch {
		case o.pending:
		case ok:
			back, _ := send(target, o.client, at+jitter(20, 120), "ClientReply", fmt.Sprintf(`{"result":%q}`, o.text))
			op.Return = back
		default:
			op.Return = o.at + 100*ms1
		}
		p.Ops = append(p.Ops, op)
	}
	return p
}

// floodPage is a long run's window with n messages and large details.
func floodPage(n int) Page {
	rng := rand.New(rand.NewPCG(3, 4))
	p := Page{
		Scenario: "flood", Seed: 7, Verdict: "fail", Replay: "simrun replay spec.json",
		Start: 0, End: 200 * time.Second, FailureAt: 150 * time.Second,
		Hosts:   []string{"n1", "n2", "n3"},
		Clients: []string{"c1"},
	}
	hosts := append(slices.Clone(p.Hosts), "c1")
	detail := strings.Repeat("x", 4000)
	for i := range n {
		sent := time.Duration(rng.Int64N(int64(p.End)))
		m := Message{
			From: hosts[rng.IntN(len(hosts))], To: hosts[rng.IntN(len(hosts))],
			Sent: sent, Received: min(sent+time.Duration(rng.IntN(5_000_000)), p.End),
			Dropped: i%10 == 0, Label: fmt.Sprintf("Type%d", i%12), Detail: detail,
		}
		p.Messages = append(p.Messages, m)
	}
	for i := range 50 {
		call := time.Duration(i) * 4 * time.Second
		p.Ops = append(p.Ops, Op{Client: "c1", Call: call, Return: call + time.Second, Text: "get(k)"})
	}
	return p
}
