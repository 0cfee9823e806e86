package simrun

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/detsim/detsim/system"
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

// writeArtifacts writes what a person needs to understand a failure: the
// spec that replays it, its trace, its history, porcupine's visualisation
// and the failure page. The trace comes from running the spec again with a
// JSON sink; that the rerun reaches the same hash is checked, so the
// artifacts are of the very run that failed.
func writeArtifacts(dir string, s scenarios.Scenario, seed uint64, r *scenarios.Result) ([]string, error) {
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
	opts := scenarios.Options{Sink: sink}
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
		files = append(files, linFile+"  (porcupine's view of the linearizability failure)")
	}
	if r.History != nil && len(r.History.Summaries()) > 0 {
		if err := writeFile(filepath.Join(dir, historyFile), r.History.WriteJSONL); err != nil {
			return nil, err
		}
		files = append(files, fmt.Sprintf("%s  (simrun check -model %s takes it)", historyFile, r.History.Model()))
	}
	page, err := buildPage(filepath.Join(dir, traceFile), spec, r)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, pageFile), func(f io.Writer) error { return report.Render(f, page) }); err != nil {
		return nil, err
	}
	files = append(files, pageFile+"  (the failure as a picture: open it in a browser)")
	return files, nil
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
func buildPage(tracePath string, spec scenarios.Spec, r *scenarios.Result) (report.Page, error) {
	s := spec.Scenario
	end := s.FaultPhase.D() + s.HealPhase.D()
	at := r.FailureAt.D()
	if at < 0 {
		at = end
	}
	p := report.Page{
		Title:     fmt.Sprintf("%s seed %d: %s", s.Name, spec.Seed, r.Verdict),
		Scenario:  s.Name,
		Seed:      spec.Seed,
		Verdict:   string(r.Verdict),
		Replay:    fmt.Sprintf("simrun replay %s", specFile),
		Start:     max(0, at-800*time.Millisecond),
		End:       min(end, at+200*time.Millisecond),
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
	p.Limit(pageMessagesMax)
	return p, nil
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
	var out []report.Op
	for _, op := range r.History.Summaries() {
		pending := op.Status == checker.OpPending
		if op.Call > end || (!pending && op.Return < start && op.Status == checker.OpCompleted) {
			continue
		}
		o := report.Op{Client: fmt.Sprintf("c%d", op.Client), Call: op.Call, Return: op.Return, Pending: pending, Failed: op.Status == checker.OpFailed, Highlight: slices.Contains(culprits, int(op.ID))}
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
