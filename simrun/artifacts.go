package simrun

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
	"github.com/detsim/detsim/internal/report"
	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// Artifact file names in a failure's folder.
const (
	specFile    = "spec.json"
	traceFile   = "trace.jsonl"
	historyFile = "history.jsonl"
	linFile     = "linearizability.html"
	pageFile    = "failure.html"
)

// pageMessagesMax bounds the failure page: it shows a window around the
// failure, and at most this many messages of it.
const pageMessagesMax = 1500

// The failure page's window: by default a second of virtual time, four
// fifths of it before the failure; run -window chooses its length.
const (
	defaultPageWindow = time.Second
	minPageWindow     = time.Millisecond
	maxPageWindow     = time.Minute
)

// writeArtifacts writes what a person needs to understand a failure: the
// spec that replays it, its trace, its history, porcupine's visualisation
// and the failure page. The trace comes from running the spec again with a
// JSON sink; that the rerun reaches the same hash is checked, so the
// artifacts are of the very run that failed.
func writeArtifacts(dir string, s scenarios.Scenario, seed uint64, r *scenarios.Result, window time.Duration) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	spec := scenarios.NewSpec(s, seed, r)
	if err := writeFile(filepath.Join(dir, specFile), func(f io.Writer) error { return spec.Encode(f) }); err != nil {
		return nil, err
	}
	files = append(files, specFile+"  (simrun replay / simrun shrink take it)")

	tf, err := os.Create(filepath.Join(dir, traceFile))
	if err != nil {
		return nil, err
	}
	sink := sim.NewJSONSink(tf)
	opts := scenarios.Options{Sink: sink, States: true}
	if r.Lin != nil {
		opts.VisualizationPath = filepath.Join(dir, linFile)
	}
	again, err := scenarios.Run(spec.Scenario, seed, opts)
	if err == nil {
		err = sink.Flush()
	}
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if again.TraceHash != r.TraceHash {
		return nil, fmt.Errorf("the rerun for the trace reached hash %s, the run %s: the simulation is not deterministic", again.TraceHash, r.TraceHash)
	}
	files = append(files, traceFile+"  (every event, JSON Lines)")
	if again.Lin != nil && again.Lin.Visualization != "" {
		if err := openAtFailure(filepath.Join(dir, linFile)); err != nil {
			return nil, err
		}
		files = append(files, linFile+"  (porcupine's view of the linearizability failure)")
	}
	if r.History != nil && len(r.History.Summaries()) > 0 {
		if err := writeFile(filepath.Join(dir, historyFile), r.History.WriteJSONL); err != nil {
			return nil, err
		}
		files = append(files, fmt.Sprintf("%s  (simrun check -model %s takes it)", historyFile, r.History.Model()))
	}
	r.States = again.States
	page, err := buildPage(filepath.Join(dir, traceFile), spec, r, window)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, pageFile), func(f io.Writer) error { return report.Render(f, page) }); err != nil {
		return nil, err
	}
	files = append(files, pageFile+"  (the failure as a picture: open it in a browser)")
	return files, nil
}

// jumpToFailure is added to porcupine's visualisation: it follows the
// page's own "jump to first error" link once the page has drawn, so that
// the page opens at the failure, not at t=0 on an empty row.
const jumpToFailure = `<script>
window.addEventListener('load', function () {
  var jump = document.querySelector('#jump-link');
  if (jump) { jump.dispatchEvent(new MouseEvent('click', {bubbles: true})); }
});
</script>
`

// openAtFailure makes porcupine's visualisation at path open at its first
// error.
func openAtFailure(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.LastIndex(b, []byte("</body>"))
	if i < 0 {
		return fmt.Errorf("%s: no </body> to add the jump to the failure before", path)
	}
	out := append(append(append([]byte{}, b[:i]...), jumpToFailure...), b[i:]...)
	return os.WriteFile(path, out, 0o644)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// traceRecord is a line of the JSON trace, as far as the page needs it.
type traceRecord struct {
	T     int64  `json:"t"`
	Kind  string `json:"kind"`
	Host  string `json:"host"`
	Peer  string `json:"peer"`
	ID    uint64 `json:"id"`
	Label string `json:"label"`
	Msg   json.RawMessage
}

// buildPage reads the trace and the result into the failure page's model:
// a window around the failure, with the messages, operations and faults in
// it.
func buildPage(tracePath string, spec scenarios.Spec, r *scenarios.Result, window time.Duration) (report.Page, error) {
	s := spec.Scenario
	end := s.FaultPhase.D() + s.HealPhase.D()
	at := r.FailureAt.D()
	if at < 0 {
		at = end
	}
	if window <= 0 {
		window = defaultPageWindow
	}
	p := report.Page{
		Title:     fmt.Sprintf("%s seed %d: %s", s.Name, spec.Seed, r.Verdict),
		Scenario:  s.Name,
		Seed:      spec.Seed,
		Verdict:   string(r.Verdict),
		Replay:    fmt.Sprintf("%s replay %s", self, specFile),
		Start:     max(0, at-window*4/5),
		End:       min(end, at+window/5),
		FailureAt: r.FailureAt.D(),
	}
	if p.End <= p.Start {
		p.End = p.Start + time.Second
	}
	for _, reason := range r.Reasons {
		p.Reasons = append(p.Reasons, reason.String())
	}
	lanes := map[string]bool{}
	for i := 0; i < s.Servers+s.Spares; i++ {
		name := fmt.Sprintf("n%d", i+1)
		p.Hosts = append(p.Hosts, name)
		lanes[name] = true
	}
	for i := 0; i < s.Clients; i++ {
		name := fmt.Sprintf("c%d", i+1)
		p.Clients = append(p.Clients, name)
		lanes[name] = true
	}

	f, err := os.Open(tracePath)
	if err != nil {
		return p, err
	}
	defer f.Close()
	sent := map[uint64]int{} // message id -> index in p.Messages
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var rec traceRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return p, fmt.Errorf("%s: %v", tracePath, err)
		}
		t := time.Duration(rec.T)
		switch rec.Kind {
		case "send":
			if t < p.Start || t > p.End || !lanes[rec.Host] || !lanes[rec.Peer] {
				continue
			}
			sent[rec.ID] = len(p.Messages)
			p.Messages = append(p.Messages, report.Message{From: rec.Host, To: rec.Peer, Sent: t, Received: p.End, Label: rec.Label, Detail: string(rec.Msg)})
		case "deliver":
			if i, ok := sent[rec.ID]; ok {
				p.Messages[i].Received = min(t, p.End)
			}
		case "drop":
			if i, ok := sent[rec.ID]; ok {
				p.Messages[i].Dropped = true
				p.Messages[i].Received = min(t, p.End)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return p, fmt.Errorf("%s: %v", tracePath, err)
	}
	p.Faults = pageFaults(s, r, lanes)
	p.Ops = pageOps(r, p.Start, p.End)
	p.States = pageStates(r.States, lanes, end)
	markBackground(p.Messages, r.Background, p.Hosts)
	p.Limit(pageMessagesMax)
	return p, nil
}

// pageStates turns the servers' state changes into spans: each lasts
// until the host's next change, or the end of the run.
func pageStates(changes []scenarios.StateChange, lanes map[string]bool, end time.Duration) []report.State {
	var out []report.State
	open := map[string]int{} // host -> index in out of its current state
	for _, c := range changes {
		if i, ok := open[c.Host]; ok {
			out[i].End = c.At.D()
			delete(open, c.Host)
		}
		if c.Label == "" || !lanes[c.Host] {
			continue
		}
		open[c.Host] = len(out)
		out = append(out, report.State{Host: c.Host, Start: c.At.D(), End: end, Label: c.Label})
	}
	return slices.DeleteFunc(out, func(st report.State) bool { return st.End <= st.Start })
}

// markBackground marks the background traffic of the window, which the
// page collapses until shown: the types the system declares, or else the
// most frequent message type between servers when it is at least two
// fifths of their messages (heartbeats, whatever a system calls them),
// and there are enough to hide the rest.
func markBackground(msgs []report.Message, declared []string, hosts []string) {
	if len(declared) > 0 {
		for i := range msgs {
			msgs[i].Background = slices.Contains(declared, msgs[i].Label)
		}
		return
	}
	server := map[string]bool{}
	for _, h := range hosts {
		server[h] = true
	}
	counts := map[string]int{}
	total := 0
	for _, m := range msgs {
		if server[m.From] && server[m.To] {
			counts[m.Label]++
			total++
		}
	}
	if total < 50 {
		return
	}
	labels := make([]string, 0, len(counts))
	for l := range counts {
		labels = append(labels, l)
	}
	slices.SortFunc(labels, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	top := labels[0]
	if 5*counts[top] < 2*total {
		return
	}
	for i := range msgs {
		if msgs[i].Label == top && server[msgs[i].From] && server[msgs[i].To] {
			msgs[i].Background = true
		}
	}
}

// undoneBy pairs a fault kind with the kind that ends it, so the page can
// draw it as an interval.
var undoneBy = map[scenarios.FaultKind]scenarios.FaultKind{
	scenarios.FaultPartition: scenarios.FaultHeal,
	scenarios.FaultLink:      scenarios.FaultHeal,
	scenarios.FaultCrash:     scenarios.FaultRestart,
	scenarios.FaultPause:     scenarios.FaultResume,
	scenarios.FaultClog:      scenarios.FaultUnclog,
}

// families colour the harness's own faults on the page.
var families = map[scenarios.FaultKind]string{
	scenarios.FaultPartition: "partition", scenarios.FaultHeal: "heal",
	scenarios.FaultCrash: "crash", scenarios.FaultKillAll: "crash", scenarios.FaultRestart: "heal",
	scenarios.FaultPause: "pause", scenarios.FaultResume: "heal",
	scenarios.FaultClockStep: "clock", scenarios.FaultClockDrift: "clock", scenarios.FaultClockStrobe: "clock",
	scenarios.FaultLink: "link", scenarios.FaultClog: "link", scenarios.FaultUnclog: "heal",
	scenarios.FaultStorage: "storage",
	"isolate":              "partition", // a program's cut
}

// faultFamily is the colour family of a fault: the harness's, or what the
// scenario's system declares for its own.
func faultFamily(s scenarios.Scenario, kind scenarios.FaultKind) string {
	if f, ok := families[kind]; ok {
		return f
	}
	if sys, err := system.Lookup(s.System.Kind); err == nil {
		if k, ok := sys.Fault(string(kind)); ok {
			return k.Family
		}
	}
	return ""
}

func pageFaults(s scenarios.Scenario, r *scenarios.Result, lanes map[string]bool) []report.Fault {
	var out []report.Fault
	for i, af := range r.Applied {
		f := af.Fault
		end := f.At.D()
		if undo, ok := undoneBy[f.Kind]; ok {
			end = s.FaultPhase.D()
			for _, g := range r.Applied[i+1:] {
				if g.Fault.Kind == undo || (f.Kind == scenarios.FaultPartition && g.Fault.Kind == scenarios.FaultPartition) {
					end = g.Fault.At.D()
					break
				}
			}
		}
		if f.Kind == scenarios.FaultKillAll {
			end = f.At.D() + f.For.D()
		}
		if af.Until > 0 {
			end = af.Until.D()
		}
		fault := report.Fault{Start: f.At.D(), End: end, Kind: string(f.Kind), Family: faultFamily(s, f.Kind), Label: f.String()}
		if af.Detail != "" {
			fault.Label += ": " + af.Detail
		}
		for _, h := range af.Hosts {
			if lanes[h] {
				fault.Hosts = append(fault.Hosts, h)
			}
		}
		if len(af.Hosts) > 0 {
			fault.Label += " on " + strings.Join(af.Hosts, ", ")
		}
		out = append(out, fault)
	}
	out = append(out, report.Fault{Start: s.FaultPhase.D(), End: s.FaultPhase.D(), Kind: "heal", Family: "heal", Label: "heal phase: every fault undone"})
	return out
}

func pageOps(r *scenarios.Result, start, end time.Duration) []report.Op {
	if r.History == nil {
		return nil
	}
	var culprits []int
	if r.Lin != nil {
		culprits = r.Lin.Culprits
	}
	ops := r.History.Summaries()
	missed := missedWrites(ops, culprits)
	var out []report.Op
	for _, op := range ops {
		pending := op.Status == checker.OpPending
		if op.Call > end || (!pending && op.Return < start && op.Status == checker.OpCompleted) {
			continue
		}
		o := report.Op{Client: fmt.Sprintf("c%d", op.Client), Call: op.Call, Return: op.Return, Pending: pending, Failed: op.Status == checker.OpFailed, Highlight: slices.Contains(culprits, int(op.ID)), Missed: missed[op.ID]}
		switch {
		case pending:
			o.Return = end
		case o.Failed:
			o.Return = op.Call // refused on the spot: it never left the client
		}
		o.Text = op.Text
		out = append(out, o)
	}
	return out
}

// missedWrites finds, for each culprit that only reads, the write it
// missed: the last write of the same partition that returned before the
// read began, which a linearizable read would have seen (or a later one).
func missedWrites(ops []checker.OpSummary, culprits []int) map[checker.OpID]bool {
	out := map[checker.OpID]bool{}
	for _, c := range culprits {
		if c < 0 || c >= len(ops) || ops[c].Writes {
			continue
		}
		read := ops[c]
		best := -1
		for i, op := range ops {
			if op.Writes && op.Status == checker.OpCompleted && op.Partition == read.Partition && op.Return < read.Call && (best < 0 || op.Return > ops[best].Return) {
				best = i
			}
		}
		if best >= 0 {
			out[ops[best].ID] = true
		}
	}
	return out
}
