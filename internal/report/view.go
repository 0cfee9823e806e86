package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// view is the page laid out for the template: coordinates are formatted
// numbers, classes come from fixed sets, and every other string is the
// caller's text, which the template escapes.
type view struct {
	DocTitle, Scenario, Seed, Verdict, VerdictClass string
	Reasons                                         []string
	Replay                                          string
	Window, FailureText, Counts, ElidedNote         string

	LabelW, NameX, Width, Height string
	PlotX0, PlotX1               string
	Lanes                        []laneView
	FaultLane                    laneView
	Ticks                        []tickView
	TickTopY, TickBottomY        string
	GridY0, GridY1               string
	Guides                       []guideView
	ClusterFaults                []faultView
	LaneFaults                   []faultView
	Elisions                     []rectView
	Messages                     []msgView
	Ops                          []opView
	Failure                      *failureView

	MsgTypes   []legendEntry
	FaultKinds []legendEntry
	Outside    []string

	States      []stateView
	HostFilters []filterView
	Zooms       []zoomView
	ViewBox     string
}

type stateView struct {
	Class, Title       string
	X, Y, W, H         string
	Text, TextX, TextY string
}

// filterView is a checkbox that shows or hides the messages of a lane.
type filterView struct {
	Index   int
	Label   string
	Checked bool
}

// zoomView is a zoom level: the plot's width at it, and the inverse scale
// that keeps its text upright.
type zoomView struct {
	Factor         int
	Width, Inverse string
	Checked        bool
}

type laneView struct {
	Name, Title, Kind  string // Kind: "host" or "client"
	Alt                bool   // every other lane is shaded
	Y, H, LineY, TextY string
}

type tickView struct{ X, Label string }

type guideView struct{ Class, X string }

type rectView struct{ X, Y, W, H, TextX, TextY, Text string }

type faultView struct {
	Class, Title       string
	Instant            bool
	X, Y, W, H, D      string
	Text, TextX, TextY string
}

type msgView struct{ Class, Title, D, Cross string }

type opView struct {
	Class, Title       string
	X, Y, W, H         string
	Text, TextX, TextY string
}

type failureView struct{ X, Label, LabelX, LabelY, Anchor string }

// legendEntry is a legend's item; for a message type, also its filter.
type legendEntry struct {
	Class, Label string
	Index        int
	Checked      bool
}

// px formats a coordinate.
func px(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// cut makes s valid UTF-8 and at most n runes long, marking a cut with an
// ellipsis.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// fit cuts s to what fits in w pixels at cw pixels per character, or
// returns "" if not even three characters fit.
func fit(s string, w, cw float64) string {
	n := int(w / cw)
	if n < 3 {
		return ""
	}
	return cut(s, n)
}

func textW(s string, cw float64) float64 { return float64(utf8.RuneCountInString(s)) * cw }

func faultName(f Fault) string {
	if f.Label != "" {
		return f.Label
	}
	return f.Kind
}

func faultSummary(f Fault) string {
	s := fmt.Sprintf("%s: %s", f.Kind, cut(f.Label, titleTextMax))
	if f.Start == f.End {
		s += " at " + ms(f.Start)
	} else {
		s += fmt.Sprintf(" from %s to %s", ms(f.Start), ms(f.End))
	}
	if len(f.Hosts) > 0 {
		s += " on " + strings.Join(f.Hosts, ", ")
	}
	return s
}

func faultTitle(f Fault, p *Page) string {
	s := faultSummary(f)
	if f.Start < p.Start {
		s += "\n(began before the window)"
	}
	if f.End > p.End {
		s += "\n(lasts past the window)"
	}
	return s
}

func messageTitle(m Message, p *Page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s  %s\nsent %s", m.From, m.To, cut(m.Label, titleTextMax), ms(m.Sent))
	switch {
	case m.Dropped:
		fmt.Fprintf(&b, ", dropped at %s", ms(m.Received))
	case m.Received >= p.End:
		b.WriteString(", not received by the window's end")
	default:
		fmt.Fprintf(&b, ", received %s (after %s)", ms(m.Received), ms(m.Received-m.Sent))
	}
	if m.Detail != "" {
		fmt.Fprintf(&b, "\n%s", cut(m.Detail, detailMax))
	}
	return b.String()
}

func opTitle(o Op, p *Page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\ncalled %s", o.Client, cut(o.Text, titleTextMax), ms(o.Call))
	switch {
	case o.Pending:
		b.WriteString(", outcome unknown (pending)")
	case o.Failed:
		fmt.Fprintf(&b, ", returned %s: failed, certainly not applied", ms(o.Return))
	default:
		fmt.Fprintf(&b, ", returned %s (after %s)", ms(o.Return), ms(o.Return-o.Call))
	}
	if o.Highlight {
		b.WriteString("\nimplicated in the failure")
	}
	if o.Missed {
		b.WriteString("\nthe write the failing read missed: it returned before the read began")
	}
	return b.String()
}
