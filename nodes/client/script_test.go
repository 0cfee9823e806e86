package client

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

// TestAScriptRunsItsOpsOnTheClientsOwnKeyAndReadsItBack: client 3 of
// two keys owns k0; its values are unique, padded to their size, and
// the final read comes after the last op.
func TestAScriptRunsItsOpsOnTheClientsOwnKeyAndReadsItBack(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	cfg := validWorkload()
	cfg.Client = tb.config(3)
	cfg.Keys = 2
	cfg.Script = &Script{Ops: []ScriptOp{{Op: "append", Times: 3, ValueBytes: 20}, {Op: "put", Key: "k1", Value: "v"}}, FinalRead: true}
	tb.addWorkload(cfg)
	tb.run(time.Minute)
	var got []string
	for _, o := range tb.rec.ops {
		got = append(got, o.op.Kind.String()+" "+o.op.Key)
		if o.op.Kind == OpAppend && (len(o.op.Value) != 20 || !strings.HasPrefix(o.op.Value, "c3-1.")) {
			t.Errorf("append value %q: want 20 bytes with the client's prefix", o.op.Value)
		}
	}
	want := "append k0,append k0,append k0,put k1,get k0,get k1"
	if strings.Join(got, ",") != want {
		t.Fatalf("ops %s, want %s", strings.Join(got, ","), want)
	}
	if v := tb.rec.ops[4].res.Value; len(v) != 60 {
		t.Errorf("the final read of k0 saw %q, want the three appends", v)
	}
}

// TestRoundsPauseTheClientAndEndWithAFinalRead: a looping script issues
// operations only inside its rounds, reads its key back at the end of
// each, and stops after the last.
func TestRoundsPauseTheClientAndEndWithAFinalRead(t *testing.T) {
	tb := newTestbed(t, 1, 1)
	cfg := validWorkload()
	cfg.Client = tb.config(1)
	cfg.OpsMax = 0
	cfg.ThinkMin, cfg.ThinkMax = 5*ms, 5*ms
	cfg.Script = &Script{Ops: []ScriptOp{{Op: "put"}}, Loop: true, FinalRead: true}
	cfg.Rounds = []Round{{From: 10 * ms, Until: 50 * ms}, {From: 200 * ms, Until: 230 * ms}}
	tb.addWorkload(cfg)
	tb.run(time.Minute)
	reads := 0
	for i, o := range tb.rec.ops {
		inRound := o.call >= 10*ms && o.call < 60*ms || o.call >= 200*ms && o.call < 240*ms
		if !inRound {
			t.Errorf("op %d (%v) called at %v, outside the rounds", i, o.op.Kind, o.call)
		}
		if o.op.Kind == OpGet {
			reads++
			if o.call < 50*ms || o.call >= 200*ms && o.call < 230*ms {
				t.Errorf("a final read at %v, inside a round", o.call)
			}
		}
	}
	if reads != 2 || len(tb.rec.ops) < 8 {
		t.Fatalf("%d final reads in %d ops, want one per round", reads, len(tb.rec.ops))
	}
}

func TestBadScriptsAndRoundsAreNamed(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"script": {"ops": []}}`, "script.ops: must list at least one operation"},
		{`{"script": {"ops": [{"op": "cas"}]}}`, `script.ops[0].op: must be get, put, append or delete (is "cas")`},
		{`{"script": {"ops": [{"op": "get", "value": "x"}]}}`, "script.ops[0].value: only put and append"},
		{`{"script": {"ops": [{"op": "put", "times": -1}]}}`, "script.ops[0].times"},
		{`{"rounds": [{"from": "1s", "until": "1s"}]}`, "rounds[0].until: must be after from"},
		{`{"rounds": [{"from": "0s", "until": "2s"}, {"from": "1s", "until": "3s"}]}`, "rounds[1].from: must not be before"},
		{`{"rounds": [{"from": "0s", "until": "2s", "to": "1s"}]}`, `unknown field "to"`},
	} {
		cfg := validWorkload()
		cfg.Client.ID, cfg.Client.Servers = 1, []sim.HostID{0}
		err := json.Unmarshal([]byte(c.json), &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.json, err, c.want)
		}
	}
}
