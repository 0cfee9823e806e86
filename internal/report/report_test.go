package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func render(t *testing.T, p Page) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, p); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.Bytes()
}

// element is a start tag of the page, as a lenient XML parser reads it.
type element struct {
	name  string
	attrs map[string]string
}

func (e element) hasClass(c string) bool {
	return slices.Contains(strings.Fields(e.attrs["class"]), c)
}

// elements parses an HTML page (ours is close enough to XML, and so is
// Chromium's serialisation of its DOM) into its start tags.
func elements(t *testing.T, page []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var out []element
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("parsing the page: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			e := element{name: strings.ToLower(se.Name.Local), attrs: map[string]string{}}
			for _, a := range se.Attr {
				e.attrs[strings.ToLower(a.Name.Local)] = a.Value
			}
			out = append(out, e)
		}
	}
}

func countClass(els []element, c string) int {
	n := 0
	for _, e := range els {
		if e.hasClass(c) {
			n++
		}
	}
	return n
}

// checkDiagram checks that the page has the diagram's parts: one lane per
// host and client, one msg element per message, one op per op.
func checkDiagram(t *testing.T, p Page, page []byte) {
	t.Helper()
	els := elements(t, page)
	dropped := 0
	for _, m := range p.Messages {
		if m.Dropped {
			dropped++
		}
	}
	for _, c := range []struct {
		class string
		want  int
	}{
		{"lane", len(p.Hosts) + len(p.Clients)},
		{"msg", len(p.Messages)},
		{"dropped", dropped},
		{"op", len(p.Ops)},
	} {
		if got := countClass(els, c.class); got != c.want {
			t.Errorf("%d elements of class %q, want %d", got, c.class, c.want)
		}
	}
	failureLines := 0
	if p.FailureAt >= 0 {
		failureLines = 1
	}
	if got := countClass(els, "failure-line"); got != failureLines {
		t.Errorf("%d elements of class \"failure-line\", want %d", got, failureLines)
	}
	faults := 0
	for _, f := range p.Faults {
		if f.End >= p.Start && f.Start <= p.End {
			faults += len(f.Hosts) + 1 // its hosts' lanes, and the fault lane
		}
	}
	if got := countClass(els, "fault"); got != faults {
		t.Errorf("%d elements of class \"fault\", want %d (one per fault in the window and lane, and each in the fault lane)", got, faults)
	}
}

func TestRenderSample(t *testing.T) {
	p := samplePage()
	p.Limit(1500)
	if p.Elided != 0 {
		t.Fatalf("the sample has %d messages, more than 1500", len(p.Messages)+p.Elided)
	}
	page := render(t, p)
	checkDiagram(t, p, page)
	for _, want := range []string{"leader-isolation", "simrun replay failures/leader-isolation-42/spec.json", "failure at 3102.400 ms", "Faults outside the window", "pause target=n2"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if dir := os.Getenv("DETSIM_REPORT_PAGE"); dir != "" {
		if err := os.WriteFile(dir, page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	hostileScript = `<script>alert(1)</script>`
	hostileAttr   = `"'><img src=x onerror=alert(2)>`
	hostile       = hostileScript + hostileAttr + `</title></text></svg><svg onload=alert(3)>&amp;{{.}}`
)

func TestRenderEscapesEveryString(t *testing.T) {
	h := func(field string) string { return "@" + field + "@" + hostile }
	hostA, hostB, client := h("HOSTA"), h("HOSTB"), h("CLIENT")
	p := Page{
		Title: h("TITLE"), Scenario: h("SCENARIO"), Seed: 1, Verdict: h("VERDICT"),
		Reasons: []string{h("REASON")}, Replay: h("REPLAY"),
		Start: 0, End: time.Second, FailureAt: 500 * ms1,
		Hosts: []string{hostA, hostB}, Clients: []string{client},
		Faults: []Fault{
			{Start: 100 * ms1, End: 300 * ms1, Kind: h("KINDA"), Label: h("FAULTA")},
			{Start: 200 * ms1, End: 200 * ms1, Kind: h("KINDB"), Label: h("FAULTB"), Hosts: []string{hostB}},
			{Start: 2 * time.Second, End: 3 * time.Second, Kind: h("KINDC"), Label: h("FAULTC"), Hosts: []string{hostA}},
		},
		Messages: []Message{
			{From: hostA, To: hostB, Sent: 100 * ms1, Received: 110 * ms1, Label: h("LABELA"), Detail: h("DETAILA")},
			{From: client, To: hostA, Sent: 120 * ms1, Received: 120 * ms1, Dropped: true, Label: h("LABELB"), Detail: h("DETAILB")},
			{From: hostB, To: hostB, Sent: 130 * ms1, Received: 135 * ms1, Label: h("LABELC")},
		},
		Ops: []Op{
			{Client: client, Call: 100 * ms1, Return: 900 * ms1, Highlight: true, Text: h("OPA")},
			{Client: client, Call: 400 * ms1, Pending: true, Text: h("OPB")},
		},
		Elided: 3,
	}
	page := render(t, p)
	s := strings.ToLower(string(page))
	for _, bad := range []string{"<script", "<img", "<svg onload", "<iframe", "javascript:"} {
		if strings.Contains(s, bad) {
			i := strings.Index(s, bad)
			t.Errorf("the page contains %q unescaped: ...%s...", bad, page[max(i-80, 0):min(i+80, len(page))])
		}
	}
	for _, field := range []string{"TITLE", "SCENARIO", "VERDICT", "REASON", "REPLAY", "HOSTA", "HOSTB", "CLIENT",
		"KINDA", "FAULTA", "KINDB", "FAULTB", "KINDC", "FAULTC", "LABELA", "DETAILA", "LABELB", "DETAILB", "LABELC", "OPA", "OPB"} {
		if !bytes.Contains(page, []byte("@"+field+"@")) {
			t.Errorf("the page does not show %s: the test would not see it unescaped", field)
		}
	}
	if !bytes.Contains(page, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Errorf("the page does not show the escaped script tag")
	}
	for _, e := range elements(t, page) {
		if slices.Contains([]string{"script", "img", "iframe", "object", "embed"}, e.name) {
			t.Errorf("the page has a <%s> element", e.name)
		}
		for name := range e.attrs {
			if strings.HasPrefix(name, "on") {
				t.Errorf("<%s> has an event handler attribute %q", e.name, name)
			}
		}
	}
	checkDiagram(t, p, page)
}

func TestRenderValidates(t *testing.T) {
	base := func() Page {
		return Page{
			Start: 0, End: time.Second, FailureAt: -1,
			Hosts: []string{"n1", "n2"}, Clients: []string{"c1"},
			Faults:   []Fault{{Start: 0, End: ms1, Kind: "crash", Hosts: []string{"n1"}}},
			Messages: []Message{{From: "n1", To: "n2", Sent: ms1, Received: 2 * ms1}},
			Ops:      []Op{{Client: "c1", Call: ms1, Return: 3 * ms1}},
		}
	}
	for _, c := range []struct {
		name   string
		change func(*Page)
		want   string
	}{
		{"empty window", func(p *Page) { p.End = p.Start }, "Start (0.000 ms) must be before End (0.000 ms)"},
		{"reversed window", func(p *Page) { p.Start = 2 * time.Second }, "Start (2000.000 ms) must be before End"},
		{"failure outside", func(p *Page) { p.FailureAt = 2 * time.Second }, "FailureAt (2000.000 ms) is outside the window"},
		{"negative elided", func(p *Page) { p.Elided = -1 }, "Elided (-1) is negative"},
		{"no lanes", func(p *Page) { p.Hosts, p.Clients, p.Faults, p.Messages, p.Ops = nil, nil, nil, nil, nil }, "at least one lane"},
		{"empty host", func(p *Page) { p.Hosts[1] = "" }, "Hosts[1] is empty"},
		{"duplicate lane", func(p *Page) { p.Clients[0] = "n2" }, `Clients[0]: lane "n2" appears twice`},
		{"fault host", func(p *Page) { p.Faults[0].Hosts = []string{"n9"} }, `Faults[0].Hosts[0]: unknown lane "n9"`},
		{"fault reversed", func(p *Page) { p.Faults[0].Start = 5 * ms1 }, "Faults[0]: End (1.000 ms) is before Start (5.000 ms)"},
		{"message from", func(p *Page) { p.Messages[0].From = "x" }, `Messages[0].From: unknown lane "x"`},
		{"message to", func(p *Page) { p.Messages[0].To = "y" }, `Messages[0].To: unknown lane "y"`},
		{"message reversed", func(p *Page) { p.Messages[0].Received = 0 }, "Messages[0]: Received (0.000 ms) is before Sent (1.000 ms)"},
		{"message outside", func(p *Page) { p.Messages[0].Sent, p.Messages[0].Received = 2*time.Second, 3*time.Second }, "Messages[0]: sent 2000.000 ms, received 3000.000 ms: outside the window"},
		{"op client", func(p *Page) { p.Ops[0].Client = "n1" }, `Ops[0].Client: unknown client lane "n1"`},
		{"op reversed", func(p *Page) { p.Ops[0].Return = 0 }, "Ops[0]: Return (0.000 ms) is before Call (1.000 ms)"},
		{"op outside", func(p *Page) { p.Ops[0].Call, p.Ops[0].Return = 2*time.Second, 3*time.Second }, "Ops[0]: called 2000.000 ms, returned 3000.000 ms: outside the window"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := base()
			c.change(&p)
			var b bytes.Buffer
			err := Render(&b, p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Render: %v, want an error saying %q", err, c.want)
			}
			if b.Len() != 0 {
				t.Errorf("Render wrote %d bytes along with its error", b.Len())
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		p := base()
		p.Ops = append(p.Ops, Op{Client: "c1", Call: 900 * ms1, Return: -5, Pending: true}) // Return ignored
		render(t, p)
	})
	t.Run("many problems", func(t *testing.T) {
		p := base()
		for range 50 {
			p.Messages = append(p.Messages, Message{From: "x", To: "n1"})
		}
		err := Render(io.Discard, p)
		if err == nil || !strings.Contains(err.Error(), "and 30 more problems") {
			t.Fatalf("Render: %v, want a bounded list of problems", err)
		}
	})
}

func TestLimitBoundsTheSize(t *testing.T) {
	p := floodPage(200_000)
	p.Limit(2000)
	if len(p.Messages) != 2000 || p.Elided != 198_000 {
		t.Fatalf("Limit(2000) kept %d messages and elided %d, want 2000 and 198000", len(p.Messages), p.Elided)
	}
	page := render(t, p)
	if len(page) > 3<<20 {
		t.Errorf("the page of 2000 messages is %d bytes, want at most 3 MiB", len(page))
	}
	t.Logf("200000 messages, limited to 2000: %d bytes", len(page))
	checkDiagram(t, p, page)
	if !bytes.Contains(page, []byte("198000 messages were left out")) || !bytes.Contains(page, []byte(`class="elided"`)) {
		t.Errorf("the page does not say that messages were left out, or where")
	}
}

func TestLimitKeepsTheNearest(t *testing.T) {
	full := floodPage(5000)
	// Two messages outside the window: dropped, and not counted as elided.
	full.Messages = append(full.Messages, Message{From: "n1", To: "n2", Sent: 201 * time.Second, Received: 202 * time.Second})
	full.Messages = append(full.Messages, Message{From: "n1", To: "n2", Sent: -2 * time.Second, Received: -time.Second})
	p := full
	p.Elided = 5
	p.Limit(300)
	if len(p.Messages) != 300 || p.Elided != 5+5000-300 {
		t.Fatalf("kept %d, elided %d; want 300 and %d", len(p.Messages), p.Elided, 5+5000-300)
	}
	if len(full.Messages) != 5002 {
		t.Fatalf("Limit changed the caller's slice")
	}
	var farthestKept time.Duration
	for _, m := range p.Messages {
		farthestKept = max(farthestKept, distance(m, p.FailureAt))
	}
	kept := 0
	for _, m := range full.Messages[:5000] {
		d := distance(m, p.FailureAt)
		if d < farthestKept {
			kept++
		}
	}
	if kept > 300 {
		t.Errorf("%d messages are nearer the failure than the farthest kept, but only 300 were kept", kept)
	}
	// The kept messages keep their order.
	j := 0
	for _, m := range full.Messages {
		if j < len(p.Messages) && m == p.Messages[j] {
			j++
		}
	}
	if j != len(p.Messages) {
		t.Errorf("Limit reordered the messages")
	}

	// With no failure, the latest sent are kept.
	q := full
	q.FailureAt = -1
	q.Limit(100)
	var earliestKept = q.End
	for _, m := range q.Messages {
		earliestKept = min(earliestKept, m.Sent)
	}
	later := 0
	for _, m := range full.Messages[:5000] {
		if m.Sent > earliestKept {
			later++
		}
	}
	if len(q.Messages) != 100 || later > 100 {
		t.Errorf("with no failure kept %d messages, and %d were sent after the earliest kept", len(q.Messages), later)
	}
	render(t, q)

	// Under the limit, nothing changes.
	r := samplePage()
	n := len(r.Messages)
	r.Limit(n)
	if len(r.Messages) != n || r.Elided != 0 {
		t.Errorf("Limit(%d) of %d messages kept %d, elided %d", n, n, len(r.Messages), r.Elided)
	}
	r.Limit(-1)
	if len(r.Messages) != 0 || r.Elided != n {
		t.Errorf("Limit(-1) kept %d, elided %d", len(r.Messages), r.Elided)
	}
	render(t, r)
}

func TestRenderIsDeterministic(t *testing.T) {
	for _, p := range []Page{samplePage(), floodPage(3000)} {
		p.Limit(1000)
		a, b := render(t, p), render(t, p)
		if !bytes.Equal(a, b) {
			t.Fatalf("two renders of the same page differ")
		}
	}
}

func TestRenderEdgeCases(t *testing.T) {
	// Hosts only, no failure, everything clipped at both ends of the window.
	p := Page{
		Start: 10 * ms1, End: 20 * ms1, FailureAt: -1, Hosts: []string{"a"},
		Faults:   []Fault{{Start: 0, End: time.Second, Kind: "pause", Hosts: []string{"a"}}},
		Messages: []Message{{From: "a", To: "a", Sent: 5 * ms1, Received: 25 * ms1}},
	}
	page := render(t, p)
	checkDiagram(t, p, page)
	if bytes.Contains(page, []byte("failure at")) {
		t.Errorf("a page with no failure shows a failure line")
	}
	// Clients only.
	q := Page{Start: 0, End: time.Microsecond, FailureAt: 0, Clients: []string{"c"}, Ops: []Op{{Client: "c", Call: 0, Pending: true}}}
	checkDiagram(t, q, render(t, q))
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		start, end time.Duration
		first      string
		step       time.Duration
	}{
		{1500 * ms1, 3500 * ms1, "1600 ms", 200 * ms1},
		{0, 5 * ms1, "0.0 ms", 500 * time.Microsecond},
		{1234567, 1234567 + 30*time.Microsecond, "1.235 ms", 5 * time.Microsecond},
		{0, 100 * time.Second, "0 ms", 10 * time.Second},
	} {
		ts := ticks(c.start, c.end, 1600)
		if len(ts) < 2 || ts[0].label != c.first || ts[1].at-ts[0].at != c.step {
			t.Errorf("ticks(%v, %v) = %v, want the first labelled %q and a step of %v", c.start, c.end, ts, c.first, c.step)
		}
		for _, tk := range ts {
			if tk.at < c.start || tk.at > c.end {
				t.Errorf("tick %v outside the window", tk)
			}
		}
	}
}

// The failure page is for people with browsers: render it in one.
func TestRenderInBrowser(t *testing.T) {
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			bin = path
			break
		}
	}
	if bin == "" {
		const msg = "chromium not installed: apt-get install chromium; the failure page was not rendered in a browser"
		if os.Getenv("DETSIM_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " (DETSIM_REQUIRE_BROWSER is set)")
		}
		t.Skip("!!! " + msg)
	}
	dir := t.TempDir()
	chromium := func(t *testing.T, args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.WaitDelay = 5 * time.Second
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.Bytes()[max(stderr.Len()-2000, 0):])
		}
		return stdout.Bytes()
	}

	t.Run("sample", func(t *testing.T) {
		p := samplePage()
		p.Limit(1500)
		path := filepath.Join(dir, "failure.html")
		if err := os.WriteFile(path, render(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
		dom := chromium(t, "--dump-dom", "file://"+path)
		checkDiagram(t, p, dom)

		shot := filepath.Join(dir, "shot.png")
		chromium(t, "--screenshot="+shot, "--window-size=1600,1000", "--hide-scrollbars", "file://"+path)
		png, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if len(png) < 10_000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("the screenshot is %d bytes and not a PNG of the page", len(png))
		}
		if out := os.Getenv("DETSIM_REPORT_SHOT"); out != "" {
			if err := os.WriteFile(out, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("controls", func(t *testing.T) {
		checkControlsInBrowser(t, func(page []byte) []byte {
			path := filepath.Join(dir, "controls.html")
			if err := os.WriteFile(path, page, 0o644); err != nil {
				t.Fatal(err)
			}
			return chromium(t, "--dump-dom", "file://"+path)
		})
	})

	t.Run("hostile", func(t *testing.T) {
		p := Page{
			Title: hostile, Scenario: hostile, Verdict: hostile, Reasons: []string{hostile}, Replay: hostile,
			Start: 0, End: time.Second, FailureAt: 10 * ms1, Hosts: []string{hostile}, Clients: []string{hostile + "c"},
			Faults:   []Fault{{Start: 0, End: ms1, Kind: hostile, Label: hostile, Hosts: []string{hostile}}},
			Messages: []Message{{From: hostile, To: hostile + "c", Sent: 0, Received: ms1, Label: hostile, Detail: hostile}},
			Ops:      []Op{{Client: hostile + "c", Call: 0, Return: ms1, Text: hostile}},
		}
		path := filepath.Join(dir, "hostile.html")
		if err := os.WriteFile(path, render(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
		dom := chromium(t, "--dump-dom", "file://"+path)
		for _, e := range elements(t, dom) {
			if e.name == "script" || e.name == "img" {
				t.Errorf("the browser built a <%s> element from a hostile label", e.name)
			}
		}
		checkDiagram(t, p, dom)
	})
}
