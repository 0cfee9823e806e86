package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Geometry, in CSS pixels. Text in the diagram is monospace, so its width
// can be estimated from its length.
const (
	labelPanelW = 120.0 // the lane names, left of the scrolling diagram
	padL        = 40.0  // room for the first tick's label
	padR        = 130.0 // room for labels drawn right of a bar
	plotWMin    = 1200.0
	plotWMax    = 2400.0
	tickSpacing = 110.0 // pixels between time ticks, about

	topH       = 40.0 // tick labels, then the failure label
	bottomH    = 28.0
	rowH       = 18.0 // a row of the fault lane or of a client's ops
	barH       = 14.0
	hostLaneH  = 40.0
	clientTopH = 16.0 // a client lane's message line, above its op rows
	laneGap    = 8.0

	charW      = 6.6 // per character at 11px monospace
	smallCharW = 6.0 // per character at 10px monospace

	laneNameMax  = 14  // runes of a lane name in the label panel
	labelMax     = 60  // runes of a label drawn in the diagram
	titleTextMax = 300 // runes of a label or text in a hover title
	detailMax    = 600 // runes of a message's detail in its hover title
	reasonMax    = 2000
)

// span is an item's horizontal extent, for packing into rows.
type span struct {
	x0, x1 float64
	i      int
}

// pack puts each span in the first row where it does not overlap the
// previous one, and returns each span's row (indexed by span.i) and the
// number of rows.
func pack(spans []span) (map[int]int, int) {
	sorted := slices.Clone(spans)
	slices.SortStableFunc(sorted, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.x0, b.x0), cmp.Compare(a.i, b.i))
	})
	row := make(map[int]int, len(spans))
	var ends []float64
	for _, s := range sorted {
		r := 0
		for r < len(ends) && ends[r]+3 > s.x0 {
			r++
		}
		if r == len(ends) {
			ends = append(ends, s.x1)
		} else {
			ends[r] = s.x1
		}
		row[s.i] = r
	}
	return row, len(ends)
}

// Fault families: the colours a fault is drawn in. The page knows
// families, not fault kinds, so a system's own faults colour like any other.
var faultFamilies = []string{"partition", "link", "crash", "pause", "clock", "storage", "heal", "leader"}

// kindClass maps a fault's family to its colour class.
func kindClass(family string) string {
	family = strings.ToLower(family)
	if slices.Contains(faultFamilies, family) {
		return "k-" + family
	}
	return "k-other"
}

func verdictClass(v string) string {
	switch strings.ToLower(v) {
	case "fail", "failed", "failure":
		return "bad"
	case "pass", "passed", "ok":
		return "good"
	}
	return "unknown"
}

// layout turns times into x coordinates.
type layout struct {
	start, end time.Duration
	plotW      float64
}

func (l layout) x(t time.Duration) float64 {
	t = min(max(t, l.start), l.end)
	return padL + float64(t-l.start)/float64(l.end-l.start)*l.plotW
}

func (l layout) right() float64 { return padL + l.plotW + padR }

// builder lays out a validated page into a view.
type builder struct {
	p *Page
	l layout
	v *view

	// The lanes' message lines, tops and bottoms.
	lineY, laneTop, laneBottom map[string]float64
	// The span of the host and client lanes.
	lanesTop, lanesBottom float64
	// Each op's row in its client's lane.
	opRow []int
}

// build lays out a validated page.
func build(p *Page) *view {
	l := layout{start: p.Start, end: p.End, plotW: min(max(2*float64(len(p.Messages)), plotWMin), plotWMax)}
	b := &builder{p: p, l: l, v: &view{}, lineY: map[string]float64{}, laneTop: map[string]float64{}, laneBottom: map[string]float64{}}
	b.header()
	cluster, inLanes := b.splitFaults()
	y := b.clusterFaults(cluster, topH)
	y = b.lanes(y + laneGap)
	b.axis(y)
	b.guides(cluster)
	b.laneFaults(inLanes)
	b.states()
	b.elisions()
	b.messages()
	b.ops()
	b.failure()
	b.summary()
	b.controls()
	return b.v
}

// zooms are the horizontal magnifications the page offers.
var zooms = []int{1, 2, 4, 8}

// controls lists the filters (message types, hosts) and the zoom levels.
func (b *builder) controls() {
	v, p := b.v, b.p
	for i, name := range p.Hosts {
		v.HostFilters = append(v.HostFilters, filterView{Index: i, Label: cut(name, laneNameMax), Checked: true})
	}
	for i, name := range p.Clients {
		v.HostFilters = append(v.HostFilters, filterView{Index: len(p.Hosts) + i, Label: cut(name, laneNameMax), Checked: true})
	}
	v.ViewBox = fmt.Sprintf("0 0 %s %s", v.Width, v.Height)
	for _, z := range zooms {
		v.Zooms = append(v.Zooms, zoomView{Factor: z, Width: px(b.l.right() * float64(z)), Inverse: strconv.FormatFloat(1/float64(z), 'f', 4, 64), Checked: z == 1})
	}
}

// states draws what the system reported of each host, as labelled bands
// along the bottom of its lane.
func (b *builder) states() {
	p := b.p
	for _, st := range p.States {
		if st.End < p.Start || st.Start > p.End {
			continue
		}
		x0, x1 := b.l.x(st.Start), b.l.x(st.End)
		bottom := b.laneBottom[st.Host] - 2
		sv := stateView{
			Class: "state s" + strconv.Itoa(int(hash(firstWord(st.Label))%stateColours)),
			Title: fmt.Sprintf("%s: %s from %s to %s", st.Host, cut(st.Label, titleTextMax), ms(st.Start), ms(st.End)),
			X:     px(x0), Y: px(bottom - stateH), W: px(max(x1-x0, 1)), H: px(stateH),
			Text: fit(st.Label, x1-x0-4, tinyCharW), TextX: px(x0 + 2), TextY: px(bottom - stateH - 1),
		}
		b.v.States = append(b.v.States, sv)
	}
}

const (
	stateH       = 4.0
	tinyCharW    = 5.4 // per character at 9px monospace
	stateColours = 6
)

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// hash is FNV-1a: a colour picked from a name's hash is the same on
// every page, whatever else the page holds.
func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (b *builder) header() {
	p, v := b.p, b.v
	v.DocTitle = p.Title
	if v.DocTitle == "" {
		v.DocTitle = fmt.Sprintf("%s seed %d: %s", p.Scenario, p.Seed, p.Verdict)
	}
	v.Scenario, v.Seed, v.Verdict, v.VerdictClass = p.Scenario, strconv.FormatUint(p.Seed, 10), p.Verdict, verdictClass(p.Verdict)
	v.Replay = p.Replay
	v.Window = fmt.Sprintf("%s to %s (%s)", ms(p.Start), ms(p.End), ms(p.End-p.Start))
	for _, r := range p.Reasons {
		v.Reasons = append(v.Reasons, cut(r, reasonMax))
	}
	if p.FailureAt >= 0 {
		v.FailureText = ms(p.FailureAt)
	}
	v.LabelW, v.NameX = px(labelPanelW), px(labelPanelW-8)
	v.Width, v.PlotX0, v.PlotX1 = px(b.l.right()), px(padL), px(padL+b.l.plotW)
}

// splitFaults sorts the faults into those drawn in the cluster-wide lane
// and those drawn in lanes, and lists those outside the window.
func (b *builder) splitFaults() (cluster, inLanes []int) {
	p := b.p
	for i, f := range p.Faults {
		switch {
		case f.End < p.Start || f.Start > p.End:
			where := "before"
			if f.Start > p.End {
				where = "after"
			}
			b.v.Outside = append(b.v.Outside, fmt.Sprintf("%s the window: %s", where, faultSummary(f)))
		case len(f.Hosts) == 0:
			cluster = append(cluster, i)
		default:
			// On the hosts it hit, and in the fault lane too, so that
			// the lane lists every fault of the window in one row.
			cluster = append(cluster, i)
			inLanes = append(inLanes, i)
		}
	}
	return cluster, inLanes
}

// clusterFaults lays out the cluster-wide fault lane from y down: bars, or
// marks for instant faults, each labelled inside or beside it, packed into
// rows. It returns the lane's bottom.
func (b *builder) clusterFaults(cluster []int, y float64) float64 {
	p, l := b.p, b.l
	type placed struct {
		fv     faultView
		x0, x1 float64 // the bar
		tx     float64 // where the label starts
	}
	var spans []span
	places := make([]placed, len(cluster))
	for j, i := range cluster {
		f := p.Faults[i]
		pl := placed{x0: l.x(f.Start), x1: l.x(f.End)}
		text := faultName(f)
		if len(f.Hosts) > 0 && !strings.Contains(text, f.Hosts[0]) {
			text += " on " + strings.Join(f.Hosts, ", ")
		}
		pl.fv = faultView{Class: "fault " + kindClass(f.Family), Title: faultTitle(f, p), Instant: f.Start == f.End, Text: cut(text, labelMax)}
		tw := textW(pl.fv.Text, charW)
		lo, hi := pl.x0, pl.x1
		if pl.fv.Instant {
			lo, hi = pl.x0-6, pl.x0+6
		}
		gap := hi - pl.x1 + 4
		switch {
		case !pl.fv.Instant && tw+8 <= pl.x1-pl.x0: // inside the bar
			pl.tx = pl.x0 + 4
		case pl.x1+gap+tw <= l.right()-4: // right of it
			pl.tx = pl.x1 + gap
			hi = pl.tx + tw
		default: // left of it
			pl.tx = max(lo-4-tw, 0)
			lo = pl.tx
		}
		places[j] = pl
		spans = append(spans, span{lo, hi, j})
	}
	rows, nRows := pack(spans)
	h := float64(max(nRows, 1))*rowH + 8
	b.v.FaultLane = laneView{Name: "faults", Kind: "faults", Y: px(y), H: px(h), TextY: px(y + h/2 + 4), Title: "cluster-wide faults; faults on one host are drawn in its lane"}
	for j, pl := range places {
		top := y + 4 + float64(rows[j])*rowH
		fv := pl.fv
		if fv.Instant {
			cy := top + barH/2
			fv.D = fmt.Sprintf("M%s %sL%s %sL%s %sL%s %sZ", px(pl.x0), px(cy-6), px(pl.x0+5), px(cy), px(pl.x0), px(cy+6), px(pl.x0-5), px(cy))
		} else {
			fv.X, fv.Y, fv.W, fv.H = px(pl.x0), px(top), px(max(pl.x1-pl.x0, 2)), px(barH)
		}
		fv.TextX, fv.TextY = px(pl.tx), px(top+barH-3)
		b.v.ClusterFaults = append(b.v.ClusterFaults, fv)
	}
	return y + h
}

// lanes lays out the host lanes, then the client lanes, from y down, and
// returns their bottom. A client lane holds its ops in rows below its
// message line.
func (b *builder) lanes(y float64) float64 {
	p, v := b.p, b.v
	b.lanesTop = y
	add := func(name, kind string, i int, h, line float64) {
		v.Lanes = append(v.Lanes, laneView{Name: cut(name, laneNameMax), Title: name, Kind: kind, Alt: i%2 == 1, Y: px(y), H: px(h), LineY: px(y + line), TextY: px(y + line + 4)})
		b.lineY[name], b.laneTop[name], b.laneBottom[name] = y+line, y, y+h
		y += h
	}
	for i, h := range p.Hosts {
		add(h, "host", i, hostLaneH, hostLaneH/2)
	}
	if len(p.Hosts) > 0 && len(p.Clients) > 0 {
		y += laneGap
	}
	var rows map[string]int
	b.opRow, rows = opPacking(p, b.l)
	for i, c := range p.Clients {
		add(c, "client", i, clientTopH+float64(max(rows[c], 1))*rowH+4, clientTopH/2)
	}
	b.lanesBottom = y
	return y
}

// axis lays out the time ticks, above and below the lanes that end at y.
func (b *builder) axis(y float64) {
	v := b.v
	v.Height = px(y + bottomH)
	v.GridY0, v.GridY1 = px(topH-6), px(y+4)
	v.TickTopY, v.TickBottomY = px(14), px(y+bottomH-8)
	for _, t := range ticks(b.p.Start, b.p.End, b.l.plotW) {
		v.Ticks = append(v.Ticks, tickView{X: px(b.l.x(t.at)), Label: t.label})
	}
}

// guides draws faint lines across the lanes where cluster-wide faults
// begin and end.
func (b *builder) guides(cluster []int) {
	p := b.p
	for _, i := range cluster {
		f := p.Faults[i]
		if len(f.Hosts) > 0 {
			continue // its band in the host's lane marks it
		}
		class := "guide " + kindClass(f.Family)
		if f.Start >= p.Start {
			b.v.Guides = append(b.v.Guides, guideView{Class: class, X: px(b.l.x(f.Start))})
		}
		if f.End != f.Start && f.End <= p.End {
			b.v.Guides = append(b.v.Guides, guideView{Class: class, X: px(b.l.x(f.End))})
		}
	}
}

// laneFaults draws the faults on particular lanes as translucent bands
// behind the messages, or as marks if instant.
func (b *builder) laneFaults(inLanes []int) {
	for _, i := range inLanes {
		f := b.p.Faults[i]
		x0, x1 := b.l.x(f.Start), b.l.x(f.End)
		label := cut(faultName(f), labelMax)
		for _, h := range f.Hosts {
			top, bottom := b.laneTop[h]+1, b.laneBottom[h]-1
			fv := faultView{Class: "fault " + kindClass(f.Family), Title: faultTitle(f, b.p), Instant: f.Start == f.End}
			if fv.Instant {
				fv.D = fmt.Sprintf("M%s %sV%sM%s %sL%s %sL%s %sZ", px(x0), px(top), px(bottom), px(x0-4), px(top), px(x0+4), px(top), px(x0), px(top+6))
				fv.Text = cut(label, 24)
				fv.TextX, fv.TextY = px(x0+4), px(top+18)
			} else {
				fv.X, fv.Y, fv.W, fv.H = px(x0), px(top), px(max(x1-x0, 2)), px(bottom-top)
				fv.Text = fit(label, x1-x0-6, smallCharW)
				fv.TextX, fv.TextY = px(x0+3), px(top+10)
			}
			b.v.LaneFaults = append(b.v.LaneFaults, fv)
		}
	}
}

// elisions hatches the spans of the window where Limit may have left
// messages out: outside the span around the failure (or before the
// earliest kept message) in which Limit keeps every message.
func (b *builder) elisions() {
	p := b.p
	if p.Elided == 0 {
		return
	}
	lo, hi := p.Start, p.End // every message in [lo, hi] was kept
	switch {
	case len(p.Messages) == 0:
		lo, hi = p.End, p.End
	case p.FailureAt >= 0:
		var d time.Duration
		for _, m := range p.Messages {
			d = max(d, distance(m, p.FailureAt))
		}
		lo, hi = p.FailureAt-d, p.FailureAt+d
	default:
		lo = p.Messages[0].Sent
		for _, m := range p.Messages {
			lo = min(lo, m.Sent)
		}
	}
	add := func(from, to time.Duration) {
		x0, x1 := b.l.x(from), b.l.x(to)
		if x1-x0 < 1 {
			return
		}
		r := rectView{X: px(x0), Y: px(b.lanesTop), W: px(x1 - x0), H: px(b.lanesBottom - b.lanesTop)}
		r.Text = fit("messages elided here", x1-x0-8, charW)
		r.TextX, r.TextY = px(x0+4), px(b.lanesTop+12)
		b.v.Elisions = append(b.v.Elisions, r)
	}
	if lo > p.Start {
		add(p.Start, lo)
	}
	if hi < p.End {
		add(max(hi, p.Start), p.End)
	}
}

// messages draws each message as a line from its sending to its receiving
// lane; a dropped one stops short, at a cross.
func (b *builder) messages() {
	p, l := b.p, b.l
	types := messageTypes(p.Messages)
	b.v.MsgTypes = types.legend
	lane := map[string]int{}
	for i, name := range append(slices.Clone(p.Hosts), p.Clients...) {
		lane[name] = i
	}
	for _, m := range p.Messages {
		t := fmt.Sprintf("%s mt-%d from-%d to-%d", types.class[m.Label], types.index[m.Label], lane[m.From], lane[m.To])
		y0, y1 := b.lineY[m.From], b.lineY[m.To]
		mv := msgView{Title: messageTitle(m, p)}
		sx, sy := clip(l, m.Sent, m.Received, y0, y1, m.Sent)
		switch {
		case m.Dropped:
			mv.Class = "msg dropped " + t
			ex := max(l.x(m.Received), sx+10)
			ey := y0 + (y1-y0)*0.45
			if m.From == m.To {
				ey = y0 - 10
			}
			mv.D = fmt.Sprintf("M%s %sL%s %s", px(sx), px(sy), px(ex), px(ey))
			mv.Cross = fmt.Sprintf("M%s %sL%s %sM%s %sL%s %s", px(ex-4), px(ey-4), px(ex+4), px(ey+4), px(ex-4), px(ey+4), px(ex+4), px(ey-4))
		case m.From == m.To:
			mv.Class = "msg self " + t
			ex := max(l.x(m.Received), sx+8)
			mv.D = fmt.Sprintf("M%s %sC%s %s %s %s %s %s", px(sx), px(y0), px(sx), px(y0-14), px(ex), px(y0-14), px(ex), px(y1))
		default:
			mv.Class = "msg " + t
			if m.Received >= p.End {
				mv.Class = "msg late " + t
			}
			ex, ey := clip(l, m.Sent, m.Received, y0, y1, m.Received)
			mv.D = fmt.Sprintf("M%s %sL%s %s", px(sx), px(sy), px(ex), px(ey))
		}
		b.v.Messages = append(b.v.Messages, mv)
	}
}

// ops draws each op as a bar in its row of its client's lane, labelled
// inside if the label fits; an implicated op's label goes beside it.
func (b *builder) ops() {
	p, l := b.p, b.l
	for i, o := range p.Ops {
		end := o.Return
		class := "op ok"
		switch {
		case o.Pending:
			end = p.End
			class = "op pending"
		case o.Failed:
			class = "op failed"
		}
		if o.Highlight {
			class += " highlight"
		}
		if o.Missed {
			class += " missed"
		}
		x0, x1 := l.x(o.Call), l.x(end)
		top := b.laneTop[o.Client] + clientTopH + float64(b.opRow[i])*rowH
		ov := opView{Class: class, Title: opTitle(o, p), X: px(x0), Y: px(top), W: px(max(x1-x0, 2)), H: px(barH), TextY: px(top + barH - 4)}
		text := cut(o.Text, labelMax)
		switch tw := textW(text, smallCharW); {
		case tw+6 <= x1-x0:
			ov.Text, ov.TextX = text, px(x0+3)
		case o.Highlight:
			ov.Text, ov.TextX = text, px(opTextX(l, x0, x1, tw))
		default:
			ov.Text, ov.TextX = fit(text, x1-x0-6, smallCharW), px(x0+3)
		}
		b.v.Ops = append(b.v.Ops, ov)
	}
}

func (b *builder) failure() {
	if b.p.FailureAt < 0 {
		return
	}
	x := b.l.x(b.p.FailureAt)
	f := &failureView{X: px(x), Label: "failure at " + ms(b.p.FailureAt), LabelY: px(topH - 10), LabelX: px(x + 5), Anchor: "start"}
	if x+5+textW(f.Label, charW) > b.l.right() {
		f.LabelX, f.Anchor = px(x-5), "end"
	}
	b.v.Failure = f
}

// summary writes the fault legend, the counts and the elision notice.
func (b *builder) summary() {
	p, v := b.p, b.v
	seen := map[string]bool{}
	for _, f := range p.Faults {
		if !seen[f.Kind] {
			seen[f.Kind] = true
			v.FaultKinds = append(v.FaultKinds, legendEntry{Class: "fault " + kindClass(f.Family), Label: cut(f.Kind, labelMax)})
		}
	}
	var dropped, pending, failed, implicated int
	for _, m := range p.Messages {
		if m.Dropped {
			dropped++
		}
	}
	for _, o := range p.Ops {
		switch {
		case o.Pending:
			pending++
		case o.Failed:
			failed++
		}
		if o.Highlight {
			implicated++
		}
	}
	v.Counts = fmt.Sprintf("%s, %s shown (%d dropped), %s (%d pending, %d failed, %d implicated)",
		count(len(p.Faults), "fault"), count(len(p.Messages), "message"), dropped, count(len(p.Ops), "operation"), pending, failed, implicated)
	if p.Elided > 0 {
		which := "nearest the failure"
		if p.FailureAt < 0 {
			which = "sent last"
		}
		v.ElidedNote = fmt.Sprintf("%d messages were left out to bound the page: only the %d %s are drawn, and the hatched spans of the diagram may be missing messages.", p.Elided, len(p.Messages), which)
	}
}

// count says "1 fault", "2 faults".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// opTextX places a highlighted op's label beside its bar: right of it, or
// left of it when it would run off the diagram.
func opTextX(l layout, x0, x1, tw float64) float64 {
	if x1+4+tw <= l.right()-4 {
		return x1 + 4
	}
	return max(x0-4-tw, 0)
}

// opPacking assigns each op a row within its client's lane so that
// overlapping ops (a pending op and the client's next ones) do not cover
// each other. A highlighted op's label may sit beside its bar, so it
// reserves that room. It returns each op's row and each client's number of
// rows.
func opPacking(p *Page, l layout) ([]int, map[string]int) {
	byClient := map[string][]span{}
	for i, o := range p.Ops {
		end := o.Return
		if o.Pending {
			end = p.End
		}
		x0, x1 := l.x(o.Call), l.x(end)
		x1 = max(x1, x0+2)
		if o.Highlight {
			tw := textW(cut(o.Text, labelMax), smallCharW)
			if tw+6 > x1-x0 {
				tx := opTextX(l, x0, x1, tw)
				x0, x1 = min(x0, tx), max(x1, tx+tw)
			}
		}
		byClient[o.Client] = append(byClient[o.Client], span{x0, x1, i})
	}
	rows := make([]int, len(p.Ops))
	counts := map[string]int{}
	for c, spans := range byClient { // each client's rows are independent of the others'
		r, n := pack(spans)
		for i, row := range r {
			rows[i] = row
		}
		counts[c] = n
	}
	return rows, counts
}

// clip returns the point of a message's line at time t, clipped to the
// window: the line runs from (sent, y0) to (received, y1).
func clip(l layout, sent, received time.Duration, y0, y1 float64, t time.Duration) (float64, float64) {
	t = min(max(t, l.start), l.end)
	if received == sent {
		return l.x(t), y0
	}
	f := float64(t-sent) / float64(received-sent)
	return l.x(t), y0 + (y1-y0)*f
}

// The message colours: each type takes one of msgColours by the hash of
// its name, so a type has the same colour on every page.
const msgColours = 12

// legendMax bounds the message types the legend and the filters list one
// by one, the most frequent first; the rest share one entry.
const legendMax = 24

type msgTypes struct {
	class  map[string]string
	index  map[string]int
	legend []legendEntry
}

// messageTypes lists the message labels by count and then by label, each
// with its colour and its filter.
func messageTypes(msgs []Message) msgTypes {
	counts := map[string]int{}
	background := map[string]bool{}
	var labels []string
	for _, m := range msgs {
		if counts[m.Label] == 0 {
			labels = append(labels, m.Label)
		}
		counts[m.Label]++
		background[m.Label] = background[m.Label] || m.Background
	}
	slices.SortFunc(labels, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
	t := msgTypes{class: map[string]string{}, index: map[string]int{}}
	other, otherTypes, otherBackground := 0, 0, false
	for i, label := range labels {
		class := "c" + strconv.Itoa(int(hash(label)%msgColours))
		t.class[label] = class
		if i < legendMax-1 || len(labels) == legendMax {
			t.index[label] = i
			name := label
			if name == "" {
				name = "(no label)"
			}
			text := fmt.Sprintf("%s ×%d", cut(name, 40), counts[label])
			if background[label] {
				text += " (background, collapsed)"
			}
			t.legend = append(t.legend, legendEntry{Class: class, Label: text, Index: i, Checked: !background[label]})
			continue
		}
		t.index[label] = legendMax - 1
		other += counts[label]
		otherTypes++
		otherBackground = otherBackground || background[label]
	}
	if other > 0 {
		t.legend = append(t.legend, legendEntry{Class: "c-other", Label: fmt.Sprintf("%d other types ×%d", otherTypes, other), Index: legendMax - 1, Checked: !otherBackground})
	}
	return t
}

type tick struct {
	at    time.Duration
	label string
}

// ticks returns round times across the window, about tickSpacing pixels
// apart, labelled in milliseconds.
func ticks(start, end time.Duration, plotW float64) []tick {
	want := max(int(plotW/tickSpacing), 2)
	raw := (end - start) / time.Duration(want)
	step := time.Duration(1)
	for step < raw {
		switch s := step; {
		case isPow10(s):
			step = 2 * s
		case isPow10(s / 2):
			step = s / 2 * 5
		default:
			step = s / 5 * 10
		}
	}
	decimals := 0
	for unit := time.Millisecond; step%unit != 0 && decimals < 6; unit /= 10 {
		decimals++
	}
	first := (start + step - 1) / step * step
	if start < 0 {
		first = start / step * step
	}
	var out []tick
	for t := first; t <= end; t += step {
		label := strconv.FormatFloat(float64(t)/float64(time.Millisecond), 'f', decimals, 64) + " ms"
		out = append(out, tick{t, label})
	}
	return out
}

func isPow10(d time.Duration) bool {
	for d >= 10 && d%10 == 0 {
		d /= 10
	}
	return d == 1
}
