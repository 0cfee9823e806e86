package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// Page is everything the failure page shows. See the package documentation
// for the constraints Render checks.
type Page struct {
	Title    string
	Scenario string
	Seed     uint64
	Verdict  string // "pass", "fail" or anything else (shown as unknown)
	Reasons  []string
	Replay   string // command line that replays the run

	// Start and End bound the window shown, in true virtual time;
	// Start < End.
	Start, End time.Duration
	// FailureAt is marked with a vertical line; it lies in [Start, End],
	// or is negative for none.
	FailureAt time.Duration

	Hosts   []string // server lanes, top to bottom
	Clients []string // client lanes, below the hosts

	Faults   []Fault
	Messages []Message
	Ops      []Op
	// States are what the system reports of each host over time (for
	// Raft, its role and term), drawn along the host's lane.
	States []State

	// Elided is how many messages were left out to bound the page; the
	// page says so. Limit adds to it.
	Elided int
}

// Fault is an injected fault, drawn as a bar from Start to End, or as a
// mark when Start == End.
type Fault struct {
	Start, End time.Duration // Start <= End
	Kind       string        // "partition", "crash", "clock-step", ...: the legend's text
	// Family picks the colour: partition, link, crash, pause, clock,
	// storage, heal or leader; anything else is drawn as "other".
	Family string
	Label  string
	Hosts  []string // lanes it hits; empty: cluster-wide
}

// Message is one message, drawn as an arrow from (Sent, From) to
// (Received, To). A Dropped message was lost at Received and is drawn as a
// red dashed stub ending in a cross.
type Message struct {
	From, To       string
	Sent, Received time.Duration // Sent <= Received
	Dropped        bool
	Label          string // the message's type; picks the colour
	Detail         string // shown on hover; long details are cut
	// Background marks traffic that hides the rest (heartbeats): its type
	// is collapsed until the reader shows it.
	Background bool
}

// State is what a host was from Start to End, as the system labels it
// ("leader t3"). A host's states do not overlap.
type State struct {
	Host       string
	Start, End time.Duration // Start <= End
	Label      string
}

// Op is a client operation, drawn as a bar from Call to Return on its
// client's lane.
type Op struct {
	Client       string
	Call, Return time.Duration // Return is ignored when Pending
	Pending      bool          // outcome unknown: open-ended to the window's end
	Failed       bool          // certainly not applied: greyed
	Highlight    bool          // implicated in the failure
	// Missed marks a write the failing read did not see: the latest one
	// that returned before the read began.
	Missed bool
	Text   string
}

// Render validates p and writes it as one HTML page to w. On a validation
// error nothing is written.
func Render(w io.Writer, p Page) error {
	if err := p.validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, build(&p)); err != nil {
		return fmt.Errorf("report: %v", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// maxProblems bounds how many validation problems one error lists.
const maxProblems = 20

func (p *Page) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("report: "+format, args...))
	}
	if p.Start >= p.End {
		bad("Start (%s) must be before End (%s)", ms(p.Start), ms(p.End))
	}
	if p.FailureAt >= 0 && (p.FailureAt < p.Start || p.FailureAt > p.End) {
		bad("FailureAt (%s) is outside the window [Start, End] = [%s, %s]; use a negative FailureAt for none", ms(p.FailureAt), ms(p.Start), ms(p.End))
	}
	if p.Elided < 0 {
		bad("Elided (%d) is negative", p.Elided)
	}
	if len(p.Hosts)+len(p.Clients) == 0 {
		bad("Hosts and Clients are both empty: the page needs at least one lane")
	}
	lanes := map[string]bool{} // name -> is a client lane
	for field, names := range [2][]string{p.Hosts, p.Clients} {
		fieldName := [2]string{"Hosts", "Clients"}[field]
		for i, name := range names {
			if name == "" {
				bad("%s[%d] is empty", fieldName, i)
				continue
			}
			if _, dup := lanes[name]; dup {
				bad("%s[%d]: lane %q appears twice in Hosts and Clients", fieldName, i, name)
				continue
			}
			lanes[name] = field == 1
		}
	}
	isLane := func(name string) bool { _, ok := lanes[name]; return ok }

	for i, f := range p.Faults {
		if f.End < f.Start {
			bad("Faults[%d]: End (%s) is before Start (%s)", i, ms(f.End), ms(f.Start))
		}
		for j, h := range f.Hosts {
			if !isLane(h) {
				bad("Faults[%d].Hosts[%d]: unknown lane %q (not in Hosts or Clients)", i, j, h)
			}
		}
	}
	for i, st := range p.States {
		if isClient, ok := lanes[st.Host]; !ok || isClient {
			bad("States[%d].Host: unknown host lane %q (not in Hosts)", i, st.Host)
		}
		if st.End < st.Start {
			bad("States[%d]: End (%s) is before Start (%s)", i, ms(st.End), ms(st.Start))
		}
	}
	for i, m := range p.Messages {
		if !isLane(m.From) {
			bad("Messages[%d].From: unknown lane %q (not in Hosts or Clients)", i, m.From)
		}
		if !isLane(m.To) {
			bad("Messages[%d].To: unknown lane %q (not in Hosts or Clients)", i, m.To)
		}
		if m.Received < m.Sent {
			bad("Messages[%d]: Received (%s) is before Sent (%s)", i, ms(m.Received), ms(m.Sent))
		} else if p.Start < p.End && (m.Sent > p.End || m.Received < p.Start) {
			bad("Messages[%d]: sent %s, received %s: outside the window [%s, %s] (Limit drops such messages)", i, ms(m.Sent), ms(m.Received), ms(p.Start), ms(p.End))
		}
	}
	for i, o := range p.Ops {
		if isClient, ok := lanes[o.Client]; !ok || !isClient {
			bad("Ops[%d].Client: unknown client lane %q (not in Clients)", i, o.Client)
		}
		if !o.Pending && o.Return < o.Call {
			bad("Ops[%d]: Return (%s) is before Call (%s)", i, ms(o.Return), ms(o.Call))
		} else if p.Start < p.End && (o.Call > p.End || (!o.Pending && o.Return < p.Start)) {
			bad("Ops[%d]: called %s, returned %s: outside the window [%s, %s] (Limit drops such ops)", i, ms(o.Call), ms(o.Return), ms(p.Start), ms(p.End))
		}
	}
	if len(errs) > maxProblems {
		more := len(errs) - maxProblems
		errs = append(errs[:maxProblems], fmt.Errorf("report: and %d more problems", more))
	}
	return errors.Join(errs...)
}

// ms formats a virtual time in milliseconds, to the microsecond.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}
