package checker

import (
	"fmt"
	"time"
)

// Violation is the first invariant a Monitor saw fail.
type Violation struct {
	Invariant string        // the name it was registered under
	Point     string        // the named point, "" for an every-event invariant
	Event     uint64        // the index of the event after which it failed
	At        time.Duration // the true time of that event
	Message   string        // Err's text
	Err       error         // what the invariant returned
}

func (v *Violation) Error() string {
	where := ""
	if v.Point != "" {
		where = fmt.Sprintf(" at point %q", v.Point)
	}
	return fmt.Sprintf("invariant %q violated%s after event %d (t=%v): %s", v.Invariant, where, v.Event, v.At, v.Message)
}

// Unwrap lets errors.Is and errors.As see what the invariant returned.
func (v *Violation) Unwrap() error { return v.Err }

// Monitor runs invariants while a run goes on and stops at the first
// violation, so that the failure is reported at the event that caused it
// rather than at the end of the run.
//
// Invariants run in registration order, which makes a run's first
// violation deterministic when several break at once. Once one fails, the
// Monitor stays failed: every later Check and CheckPoint returns the same
// *Violation without running anything. The zero value is ready to use. A
// Monitor is not safe for concurrent use; the simulator is single-threaded.
type Monitor struct {
	// everyEvent are the invariants Add registered, in order; atPoints
	// those of AddAt. Check runs after every event of a run, so it
	// walks only its own.
	everyEvent, atPoints []invariant
	failed               *Violation
}

type invariant struct {
	point string // "" runs on every event
	name  string
	check func() error
}

// Add registers an invariant checked after every event.
func (m *Monitor) Add(name string, check func() error) {
	m.everyEvent = append(m.everyEvent, invariant{name: name, check: check})
}

// AddAt registers an invariant checked only at the named point (for
// example "quiesced", or "commit"); see CheckPoint.
func (m *Monitor) AddAt(point, name string, check func() error) {
	if point == "" {
		panic("checker: AddAt needs a point name; use Add for every event")
	}
	m.atPoints = append(m.atPoints, invariant{point: point, name: name, check: check})
}

// Check runs the every-event invariants after event number event, which
// happened at true time at. It returns nil or the first *Violation.
func (m *Monitor) Check(event uint64, at time.Duration) error {
	return m.run(m.everyEvent, "", event, at)
}

// CheckPoint runs the invariants registered at point.
func (m *Monitor) CheckPoint(point string, event uint64, at time.Duration) error {
	if point == "" {
		panic("checker: CheckPoint needs a point name; use Check for every event")
	}
	return m.run(m.atPoints, point, event, at)
}

func (m *Monitor) run(invariants []invariant, point string, event uint64, at time.Duration) error {
	if m.failed != nil {
		return m.failed
	}
	for i := range invariants {
		inv := &invariants[i]
		if inv.point != point {
			continue
		}
		if err := inv.check(); err != nil {
			m.failed = &Violation{Invariant: inv.name, Point: point, Event: event, At: at, Message: err.Error(), Err: err}
			return m.failed
		}
	}
	return nil
}

// Failed returns the first violation, or nil.
func (m *Monitor) Failed() *Violation { return m.failed }
