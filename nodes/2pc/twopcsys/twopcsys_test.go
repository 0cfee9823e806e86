package twopcsys_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/nodes/2pc"

	"github.com/detsim/detsim/nodes/2pc/twopcsys"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/system"
)

func init() { system.MustRegister(twopcsys.System) }

func lookup(t testing.TB, name string) scenarios.Scenario {
	t.Helper()
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t testing.TB, s scenarios.Scenario, seed uint64) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(s, seed, scenarios.Options{CheckWorkers: 1})
	if err != nil {
		t.Fatalf("%s seed %d: %v", s.Name, seed, err)
	}
	return r
}

func TestSameSeedSameRunDifferentSeedsDifferentRuns(t *testing.T) {
	for _, name := range []string{"2pc-coordinator-crash", "2pc-paxos-commit-coordinator-crash"} {
		s := lookup(t, name)
		a, b, c := run(t, s, 7), run(t, s, 7), run(t, s, 8)
		if a.TraceHash != b.TraceHash || a.Events != b.Events {
			t.Errorf("%s seed 7 ran twice: %s (%d events) and %s (%d events)", name, a.TraceHash, a.Events, b.TraceHash, b.Events)
		}
		if a.TraceHash == c.TraceHash {
			t.Errorf("%s: seeds 7 and 8 gave the same trace %s", name, a.TraceHash)
		}
	}
}

// A planted-bug scenario must pass once its bug is off: what it finds is
// the bug, not the faults.
func TestBugScenariosPassWithTheirBugOff(t *testing.T) {
	if err := scenarios.Builtins(); err != nil {
		t.Fatal(err)
	}
	for _, name := range scenarios.Names() {
		if !strings.HasPrefix(name, "2pc-bug-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			s := lookup(t, name)
			var cfg map[string]json.RawMessage
			if err := json.Unmarshal(s.System.Config, &cfg); err != nil {
				t.Fatal(err)
			}
			if _, ok := cfg["bugs"]; !ok {
				t.Fatalf("%s plants no bug", name)
			}
			delete(cfg, "bugs")
			s.System.Config, _ = json.Marshal(cfg)
			s.Expect = scenarios.Expect{Verdict: scenarios.Pass}
			for seed := uint64(1); seed <= 3; seed++ {
				if r := run(t, s, seed); r.Verdict != scenarios.Pass {
					t.Errorf("seed %d, bug off: %s", seed, r.Summary())
				}
			}
		})
	}
}

func TestBlockingIsReportedForTwoPhaseCommitAndAbsentForPaxosCommit(t *testing.T) {
	tpc := run(t, lookup(t, "2pc-coordinator-crash"), 1)
	pc := run(t, lookup(t, "2pc-paxos-commit-coordinator-crash"), 1)
	if tpc.Verdict != scenarios.Pass || pc.Verdict != scenarios.Pass {
		t.Fatalf("%s\n%s", tpc.Summary(), pc.Summary())
	}
	if tpc.Counter(twopcsys.CounterTxnsStuck) == 0 || tpc.Counter(twopcsys.CounterBlockedMs) < 1000 {
		t.Errorf("two-phase commit with its coordinator down 3s: %v", tpc.Counters)
	}
	if pc.Counter(twopcsys.CounterTxnsStuck) != 0 {
		t.Errorf("Paxos Commit with F=1: %d transactions stuck", pc.Counter(twopcsys.CounterTxnsStuck))
	}
	// The same crash, with the Paxos Commit scenario's bound on blocking,
	// fails two-phase commit.
	s := lookup(t, "2pc-coordinator-crash")
	s.System.Config = json.RawMessage(`{"in_doubt_max": "1500ms"}`)
	s.Expect = scenarios.Expect{Verdict: scenarios.Fail, Check: scenarios.CheckInvariants}
	if r := run(t, s, 1); r.Verdict != scenarios.Fail || !strings.Contains(r.Summary(), "beyond in_doubt_max") {
		t.Errorf("two-phase commit under in_doubt_max: %s", r.Summary())
	}
}

func TestConfigurationDecodesStrictlyOntoTheDefaults(t *testing.T) {
	cfg := twopcsys.DefaultConfig()
	if err := json.Unmarshal([]byte(`{"protocol": "paxos-commit", "f": 2, "vote_timeout": "1s", "stuck_after": "2s", "bugs": {"abort_after_yes": true}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Protocol != twopc.PaxosCommit || cfg.F != 2 || cfg.VoteTimeout != time.Second || cfg.StuckAfter != 2*time.Second || !cfg.Bugs.AbortAfterYes {
		t.Fatalf("decoded %+v", cfg)
	}
	if cfg.DecisionTimeout != twopc.DefaultConfig().DecisionTimeout || cfg.Consistency != "strict-serializable" {
		t.Errorf("absent fields lost their defaults: %+v", cfg)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back := twopcsys.DefaultConfig()
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	back.Observer, cfg.Observer = nil, nil
	if !strings.Contains(string(b), `"vote_timeout":"1s"`) || back.VoteTimeout != cfg.VoteTimeout || back.Bugs != cfg.Bugs || back.F != cfg.F {
		t.Errorf("round trip: %s", b)
	}
	for _, bad := range []string{`{"protocl": "2pc"}`, `{"bugs": {"nope": true}}`, `{"stuck_after": "soon"}`} {
		c := twopcsys.DefaultConfig()
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s decoded without an error", bad)
		}
	}
	c := twopcsys.DefaultConfig()
	c.Protocol = "3pc"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "protocol") {
		t.Errorf("Validate of protocol 3pc: %v", err)
	}
}

func TestPlacementsAndFasterAreCheckedAgainstTheProtocol(t *testing.T) {
	for _, tc := range []struct {
		config, want string
	}{
		{`{"placement": "co-located"}`, `placement "co-located" places acceptors, which only "paxos-commit" has`},
		{`{"protocol": "paxos-commit", "placement": "together"}`, `placement "together" is none of "apart", "leader-with-acceptor", "co-located"`},
		{`{"faster": true}`, `faster is Faster Paxos Commit, and protocol is "2pc"`},
	} {
		c := twopcsys.DefaultConfig()
		if err := json.Unmarshal([]byte(tc.config), &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %s", tc.config, err, tc.want)
		}
	}
	// Co-located, every server is a shard; a leader with an acceptor saves
	// one server.
	for _, tc := range []struct {
		config  string
		servers int
		want    string
	}{
		{`{"protocol": "paxos-commit", "f": 1, "placement": "co-located"}`, 3, ""},
		{`{"protocol": "paxos-commit", "f": 1, "placement": "leader-with-acceptor"}`, 6, ""},
		{`{"protocol": "paxos-commit", "f": 1, "placement": "leader-with-acceptor"}`, 3, "needs at least 4 servers; has 3"},
		{`{"protocol": "paxos-commit", "f": 1}`, 4, "needs at least 5 servers; has 4"},
	} {
		s := lookup(t, "2pc-happy")
		s.Name, s.System.Config, s.Servers = "placement", json.RawMessage(tc.config), tc.servers
		r, err := scenarios.Run(s, 1, scenarios.Options{CheckWorkers: 1})
		switch {
		case tc.want == "" && (err != nil || r.Verdict != scenarios.Pass):
			t.Errorf("%s on %d servers: %v %v", tc.config, tc.servers, err, r)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s on %d servers: %v, want an error saying %s", tc.config, tc.servers, err, tc.want)
		}
	}
}
