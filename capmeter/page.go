package capmeter

import (
	"fmt"
	"html/template"
	"io"
	"math"
)

// Link is where a point of the page leads: the command that replays its
// failing seed, and that seed's failure page (relative to the page).
type Link struct {
	Replay string
	Page   string
}

// plane is the chart's geometry, in SVG units.
const (
	planeLeft, planeTop, planeSize = 70, 30, 520
	planeWidth, planeHeight        = planeLeft + planeSize + 260, planeTop + planeSize + 60
)

type pagePoint struct {
	Row                                  Row
	Key, Anchor, Colour, Shape           string
	X, Y, XLo, XHi, YLo, YHi, LabelY     float64
	Link                                 Link
	Availability, Consistency, ViolRatio string
}

type pageData struct {
	Table        *Table
	Points       []pagePoint
	Systems      []legendEntry
	Partitions   []legendEntry
	Width        int
	Height       int
	Left, Top    int
	Size, Bottom int
	Ticks        []tick
}

type legendEntry struct {
	Name, Colour, Shape string
	Y                   int
}

type tick struct {
	Label, YLabel string
	X, Y          float64
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

// shapes mark the partitions: circle, square, diamond, then circles.
var shapes = []string{"circle", "square", "diamond"}

// WritePage writes an offline HTML page (no script, no outside resource):
// the consistency/availability plane with one point per (system,
// partition) pair, error bars of one standard deviation over the seeds,
// each point linking to its failing seed, and the table below it. links
// maps Row.String() to its point's link; a row without one links nowhere.
func (t *Table) WritePage(w io.Writer, links map[string]Link) error {
	d := pageData{Table: t, Width: planeWidth, Height: planeHeight, Left: planeLeft, Top: planeTop, Size: planeSize, Bottom: planeTop + planeSize}
	sysIndex := map[string]int{}
	partIndex := map[string]int{}
	for i, p := range t.Partitions {
		partIndex[p] = i
		d.Partitions = append(d.Partitions, legendEntry{Name: p, Shape: shapes[min(i, len(shapes)-1)]})
	}
	for _, r := range t.Rows {
		if _, ok := sysIndex[r.System]; !ok {
			sysIndex[r.System] = len(d.Systems)
			d.Systems = append(d.Systems, legendEntry{Name: r.System, Colour: palette[len(d.Systems)%len(palette)]})
		}
	}
	for i := range d.Systems {
		d.Systems[i].Y = planeTop + 10 + 18*i
	}
	for i := range d.Partitions {
		d.Partitions[i].Y = planeTop + 10 + 18*(len(d.Systems)+1+i)
	}
	// Consistency sits near 1 for most systems: the axis starts at the
	// lowest bar, rounded down to a tenth, so that the points part.
	yMin := 0.9
	for _, r := range t.Rows {
		if r.Availability.Mean >= 0 {
			yMin = min(yMin, math.Floor(float64(10*(r.Consistency.Mean-r.Consistency.Std)))/10)
		}
	}
	yMin = max(0, yMin)
	px := func(v float64) float64 { return planeLeft + float64(planeSize*clamp01(v)) }
	py := func(v float64) float64 {
		return planeTop + planeSize - float64(planeSize*clamp01((v-yMin)/(1-yMin)))
	}
	for _, r := range t.Rows {
		a, c := r.Availability, r.Consistency
		if a.Mean < 0 {
			continue
		}
		p := pagePoint{
			Row: r, Key: r.String(), Anchor: "row-" + r.System + "--" + r.Partition, Colour: palette[sysIndex[r.System]%len(palette)],
			Shape: shapes[min(partIndex[r.Partition], len(shapes)-1)],
			X:     px(a.Mean), Y: py(c.Mean), XLo: px(a.Mean - a.Std), XHi: px(a.Mean + a.Std),
			YLo: py(c.Mean - c.Std), YHi: py(c.Mean + c.Std), Link: links[r.String()],
			Availability: pct(a), Consistency: fmt.Sprintf("%.3f±%.3f", c.Mean, c.Std), ViolRatio: frac(r.ViolatedRatio),
		}
		d.Points = append(d.Points, p)
	}
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		y := yMin + float64(v*(1-yMin))
		d.Ticks = append(d.Ticks, tick{Label: fmt.Sprintf("%.2f", v), X: px(v), Y: py(y), YLabel: fmt.Sprintf("%.3f", y)})
	}
	return pageTemplate.Execute(w, d)
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }

var pageTemplate = template.Must(template.New("cap").Funcs(template.FuncMap{
	"f":       func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"percent": percent,
	"pct":     pct,
	"frac":    frac,
	"serve":   serveAgain,
	"conv":    converge,
	"writes":  afterWrites,
	"rate":    rate,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The CAP theorem, measured</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
code { font-size: 12px; }
svg text { font-size: 12px; }
</style></head><body>
<h1>The CAP theorem, measured</h1>
<p>{{.Table.Seeds}} seeds per point, clients at {{rate .Table.Rate}} each. Availability: requests answered successfully before the heal, of those invoked during the partition, on both sides. Consistency: 0 for a seed whose history check failed, else the fraction of reads that were not stale. Bars: one standard deviation over the seeds. Each point links to a failing seed. Converge: how long after the heal the replicas became equal for good (p50/max over the seeds that did; writes in flight count); after writes: the same, from the clients' last write.</p>
<svg id="plane" xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
<rect x="{{.Left}}" y="{{.Top}}" width="{{.Size}}" height="{{.Size}}" fill="#fafafa" stroke="#999"/>
{{range .Ticks}}<text x="{{f .X}}" y="{{$.Bottom}}" dy="16" text-anchor="middle">{{.Label}}</text><text x="{{$.Left}}" y="{{f .Y}}" dx="-6" dy="4" text-anchor="end">{{.YLabel}}</text>
{{end}}<text x="{{$.Left}}" y="{{$.Bottom}}" dx="{{$.Size}}" dy="40" text-anchor="end">availability during the partition →</text>
<text transform="translate(16 {{$.Bottom}}) rotate(-90)">consistency →</text>
{{range .Points}}<g class="cap-point" data-point="{{.Key}}">
<line x1="{{f .XLo}}" x2="{{f .XHi}}" y1="{{f .Y}}" y2="{{f .Y}}" stroke="{{.Colour}}"/><line x1="{{f .X}}" x2="{{f .X}}" y1="{{f .YLo}}" y2="{{f .YHi}}" stroke="{{.Colour}}"/>
<a href="{{if .Link.Page}}{{.Link.Page}}{{else}}#{{.Anchor}}{{end}}"><title>{{.Key}}: availability {{.Availability}}, consistency {{.Consistency}}, non-linearizable seeds {{.ViolRatio}}, converge {{conv .Row}}{{if .Link.Replay}}; replay: {{.Link.Replay}}{{end}}</title>
{{if eq .Shape "square"}}<rect x="{{f .X}}" y="{{f .Y}}" width="10" height="10" transform="translate(-5 -5)" fill="{{.Colour}}" fill-opacity="0.8"/>{{else if eq .Shape "diamond"}}<rect x="{{f .X}}" y="{{f .Y}}" width="10" height="10" transform="rotate(45 {{f .X}} {{f .Y}}) translate(-5 -5)" fill="{{.Colour}}" fill-opacity="0.8"/>{{else}}<circle cx="{{f .X}}" cy="{{f .Y}}" r="6" fill="{{.Colour}}" fill-opacity="0.8"/>{{end}}</a>
</g>
{{end}}{{range .Systems}}<rect x="{{$.Left}}" y="{{.Y}}" dx="{{$.Size}}" width="10" height="10" transform="translate({{$.Size}} 0) translate(20 -9)" fill="{{.Colour}}"/><text x="{{$.Left}}" y="{{.Y}}" transform="translate({{$.Size}} 0) translate(36 0)">{{.Name}}</text>
{{end}}{{range .Partitions}}<text x="{{$.Left}}" y="{{.Y}}" transform="translate({{$.Size}} 0) translate(20 0)">{{if eq .Shape "square"}}■{{else if eq .Shape "diamond"}}◆{{else}}●{{end}} {{.Name}}</text>
{{end}}</svg>
<h2>The table</h2>
<table><thead><tr><th>system</th><th>partition</th><th>avail majority</th><th>avail minority</th><th>non-linearizable seeds</th><th>stale reads</th><th>stale for max</th><th>lost acked writes</th><th>p50</th><th>p99</th><th>max</th><th>serve again</th><th>converge p50/max</th><th>after writes p50/max</th><th>anomalies</th><th>failing seed</th></tr></thead><tbody>
{{range .Points}}<tr id="{{.Anchor}}"><td>{{.Row.System}}</td><td>{{.Row.Partition}}</td><td>{{pct .Row.AvailabilityMajority}}</td><td>{{pct .Row.AvailabilityMinority}}</td><td>{{.ViolRatio}}</td><td>{{frac .Row.StaleRatio}}</td><td>{{.Row.StaleForMax}}</td><td>{{.Row.LostWrites}}</td><td>{{.Row.LatencyP50}}</td><td>{{.Row.LatencyP99}}</td><td>{{.Row.LatencyMax}}</td><td>{{serve .Row}}</td><td>{{conv .Row}}</td><td>{{writes .Row}}</td><td>{{range .Row.Anomalies}}{{.}} {{end}}</td><td>{{if .Link.Replay}}<code>{{.Link.Replay}}</code>{{else}}-{{end}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))
