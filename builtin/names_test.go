package builtin_test

import (
	"bytes"
	"regexp"
	"testing"

	. "github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
)

// bareHostID is the debugging form of a host id (sim.HostID.String),
// which a trace or a message never uses for a host that has a name.
var bareHostID = regexp.MustCompile(`\bh[0-9]+\b`)

// TestTracesAndReasonsSpeakHostNames runs every built-in scenario with a
// text trace (whose log lines and fault texts the JSON trace shares):
// neither it nor any reason a run gives may name a host by its bare id.
func TestTracesAndReasonsSpeakHostNames(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			sink := sim.NewTextSink(&text)
			r, err := Run(s, 1, Options{Sink: sink, CheckWorkers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := sink.Flush(); err != nil {
				t.Fatal(err)
			}
			if b := text.Bytes(); len(b) == 0 {
				t.Fatal("the trace is empty")
			} else if loc := bareHostID.FindIndex(b); loc != nil {
				t.Errorf("the trace names a host %q:\n%s", b[loc[0]:loc[1]], lineAround(b, loc[0]))
			}
			if name == "raft-membership" || name == "raft-swarm" {
				// The JSON trace shares the text's log lines and fault
				// texts; its message bodies are its own.
				var jsonl bytes.Buffer
				js := sim.NewJSONSink(&jsonl)
				if _, err := Run(s, 1, Options{Sink: js, CheckWorkers: 1}); err != nil {
					t.Fatal(err)
				}
				if err := js.Flush(); err != nil {
					t.Fatal(err)
				}
				if b := jsonl.Bytes(); bytes.Contains(b, []byte(`"Leader":2`)) || bytes.Contains(b, []byte(`"Members":[0`)) {
					t.Errorf("a JSON message body names a host by its number")
				} else if !bytes.Contains(b, []byte(`"Leader":"n`)) && !bytes.Contains(b, []byte(`"Members":["n`)) {
					t.Errorf("no JSON message body names a host at all: the check looks at nothing")
				}
			}
			for _, reason := range r.Reasons {
				if bareHostID.MatchString(reason.Message) {
					t.Errorf("a reason names a host by its id: %s", reason)
				}
			}
		})
	}
}

func lineAround(b []byte, at int) []byte {
	start := bytes.LastIndexByte(b[:at], '\n') + 1
	end := bytes.IndexByte(b[at:], '\n')
	if end < 0 {
		return b[start:]
	}
	return b[start : at+end]
}
