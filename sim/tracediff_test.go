package sim_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

type ping struct {
	Seq  int
	Note string
}

// tracedRun runs two pinging hosts for 100ms, with a crash, a pause and log
// lines, into both sinks, and returns the JSON and text traces. after, if
// not nil, changes the run from 50ms on.
func tracedRun(t *testing.T, seed uint64, after func(w *sim.World)) (jsonl, text []byte) {
	t.Helper()
	var jb, tb bytes.Buffer
	js, ts := sim.NewJSONSink(&jb), sim.NewTextSink(&tb)
	w := newWorld(t, sim.Options{Seed: seed, Sink: teeSink{js, ts}})
	var envs [2]sim.Env
	w.SetTransport(transportFunc(func(from, to sim.HostID, msg any) {
		w.After(time.Millisecond, func() {
			w.Deliver(sim.Message{From: from, To: to, ID: uint64(w.Events()), Size: 16, Label: "ping", Body: msg})
		})
	}))
	for i := range envs {
		addHost(t, w, sim.HostConfig{Factory: func() sim.Node {
			return &scripted{
				start: func(env sim.Env) { envs[i] = env; env.After(5*time.Millisecond, nil) },
				timer: func(env sim.Env, _ sim.TimerID, _ any) {
					n := env.Rand().IntN(1000)
					env.Logf("tick %d", n)
					env.Send(sim.HostID(1-i), ping{Seq: n, Note: "a \"quoted\" note"})
					env.After(5*time.Millisecond, nil)
				},
			}
		}})
	}
	w.At(20*time.Millisecond, func() { w.Host(1).Pause() })
	w.At(30*time.Millisecond, func() { w.Host(1).Resume() })
	w.At(40*time.Millisecond, func() { w.Host(0).Crash() })
	w.At(45*time.Millisecond, func() { w.Host(0).Restart() })
	w.At(50*time.Millisecond, func() {
		if after != nil {
			after(w)
		}
	})
	w.RunFor(100 * time.Millisecond)
	js.Flush()
	ts.Flush()
	return jb.Bytes(), tb.Bytes()
}

type teeSink []sim.Sink

func (s teeSink) Write(r *sim.Record) error {
	for _, k := range s {
		if err := k.Write(r); err != nil {
			return err
		}
	}
	return nil
}

func TestTraceReaderRoundTrips(t *testing.T) {
	jsonl, text := tracedRun(t, 1, nil)
	var again bytes.Buffer
	js := sim.NewJSONSink(&again)
	rd := sim.NewTraceReader(bytes.NewReader(jsonl))
	textLines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	n := 0
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := js.Write(r); err != nil {
			t.Fatal(err)
		}
		// Bodies print as their JSON once read back; the rest of the line
		// is the text sink's, exactly.
		want := textLines[n]
		if r.Body != nil {
			want, _, _ = strings.Cut(want, " {")
			want += " " + r.Body.(sim.JSONBody).String()
		}
		if got := r.String(); got != want {
			t.Fatalf("line %d reads back as\n%q\nthe text sink wrote\n%q", n+1, got, want)
		}
		n++
	}
	js.Flush()
	if n != len(textLines) || n < 50 {
		t.Fatalf("read %d records; the text sink wrote %d lines", n, len(textLines))
	}
	if !bytes.Equal(again.Bytes(), jsonl) {
		t.Fatal("records read back do not write the same JSON again")
	}
}

func TestDiffTracesFindsTheFirstPartingRecord(t *testing.T) {
	a, _ := tracedRun(t, 1, nil)
	same, err := sim.DiffTraces(bytes.NewReader(a), bytes.NewReader(a), 5)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(a, []byte("\n"))
	if !same.Identical() || same.Same != lines || len(same.Before) != 5 {
		t.Fatalf("a trace against itself: %+v, want identical over %d records", same, lines)
	}

	b, _ := tracedRun(t, 1, func(w *sim.World) { w.Trace(sim.KindFault, 1, "extra", "an extra fault") })
	d, err := sim.DiffTraces(bytes.NewReader(a), bytes.NewReader(b), 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Identical() || d.B == nil || d.B.Label != "extra" || d.A == nil || d.A.At < 50*time.Millisecond {
		t.Fatalf("diff %+v: want B's extra fault at 50ms as the parting record", d)
	}
	prefix := bytes.SplitAfterN(a, []byte("\n"), d.Same+1)
	if !bytes.Equal(bytes.Join(prefix[:d.Same], nil), bytes.Join(bytes.SplitAfterN(b, []byte("\n"), d.Same+1)[:d.Same], nil)) {
		t.Fatal("the traces differ before the reported parting record")
	}
	if len(d.Before) != 3 || d.Before[2].Index > d.A.Index || d.Before[0].Index > d.Before[2].Index {
		t.Fatalf("context %+v, want the 3 records before the parting one, oldest first", d.Before)
	}

	// A trace that stops early parts where it ends.
	cut := bytes.Join(bytes.SplitAfter(a, []byte("\n"))[:10], nil)
	d, err = sim.DiffTraces(bytes.NewReader(a), bytes.NewReader(cut), 20)
	if err != nil {
		t.Fatal(err)
	}
	if d.Same != 10 || d.A == nil || d.B != nil || len(d.Before) != 10 {
		t.Fatalf("against its first 10 lines: same %d, A %v, B %v, %d before", d.Same, d.A, d.B, len(d.Before))
	}

	c, _ := tracedRun(t, 2, nil)
	if d, err := sim.DiffTraces(bytes.NewReader(a), bytes.NewReader(c), 0); err != nil || d.Identical() || len(d.Before) != 0 {
		t.Fatalf("two seeds: %+v, %v; want them to part, with no context asked for", d, err)
	}
}

func TestDiffTracesNamesBadInput(t *testing.T) {
	good := `{"i":0,"t":0,"kind":"boot","host":"n0","id":1}` + "\n"
	cases := []struct {
		a, b string
		want string
	}{
		{good, good + "{not json\n", "trace B, line 2: not a trace record"},
		{`{"i":0,"t":0,"kind":"reboot","host":"n0"}`, good, `trace A, line 1: sim: unknown record kind "reboot"`},
		{`{"scenario":{"name":"x"},"seed":1}`, good, `trace A, line 1: not a trace record: it has no "i" field`},
		{good + "\n\n" + `{"i":1,"t":5,"kind":"crash"}`, good + `{"i":1,"t":5,"kind":"crash","host":"n0"}`, `trace A, line 4: not a trace record: it has no "host" field`},
	}
	for _, c := range cases {
		_, err := sim.DiffTraces(strings.NewReader(c.a), strings.NewReader(c.b), 2)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DiffTraces: err = %v, want one containing %q", err, c.want)
		}
	}
	if _, err := sim.DiffTraces(strings.NewReader(good), strings.NewReader(good), -1); err == nil {
		t.Error("a negative context was accepted")
	}
	if _, err := sim.ParseRecordKind("deliver"); err != nil {
		t.Error(err)
	}
	empty, err := sim.DiffTraces(strings.NewReader(""), strings.NewReader("\n"), 2)
	if err != nil || !empty.Identical() || empty.Same != 0 {
		t.Errorf("two empty traces: %+v, %v", empty, err)
	}
}

func TestDiffTracesReadsLinesLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	line := func(text string) string {
		return `{"i":3,"t":7,"kind":"log","host":"n1","label":"%s","text":"` + text + `"}` + "\n"
	}
	a := line(long) + line("short")
	b := line(long) + line("other")
	d, err := sim.DiffTraces(strings.NewReader(a), strings.NewReader(b), 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Same != 1 || len(d.Before) != 1 || d.Before[0].Text != long || d.A.Text != "short" || d.B.Text != "other" {
		t.Fatalf("same %d, before %d records, A %q, B %q", d.Same, len(d.Before), d.A.Text, d.B.Text)
	}
}
