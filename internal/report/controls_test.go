package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// controlsPage has two message types, one of them background traffic, a
// missed write and a host's states.
func controlsPage() Page {
	p := Page{
		Scenario: "controls", Verdict: "fail", Start: 0, End: time.Second, FailureAt: 500 * ms1,
		Hosts: []string{"n1", "n2"}, Clients: []string{"c1"},
		Ops: []Op{
			{Client: "c1", Call: 100 * ms1, Return: 200 * ms1, Missed: true, Text: "put x 2"},
			{Client: "c1", Call: 500 * ms1, Return: 600 * ms1, Highlight: true, Text: "get x -> 1"},
		},
		States: []State{{Host: "n1", Start: 0, End: 300 * ms1, Label: "leader t1"}, {Host: "n1", Start: 300 * ms1, End: time.Second, Label: "follower t2"}},
	}
	for i := range 10 {
		at := time.Duration(i) * 50 * ms1
		p.Messages = append(p.Messages, Message{From: "n1", To: "n2", Sent: at, Received: at + 5*ms1, Label: "Heartbeat", Background: true})
	}
	p.Messages = append(p.Messages, Message{From: "c1", To: "n2", Sent: 500 * ms1, Received: 510 * ms1, Label: "Get"})
	return p
}

func TestPageControls(t *testing.T) {
	p := controlsPage()
	page := render(t, p)
	els := elements(t, page)
	inputs := map[string]element{}
	for _, e := range els {
		if e.name == "input" {
			inputs[e.attrs["id"]] = e
		}
	}
	// Heartbeat is the most frequent type (index 0) and background:
	// collapsed; Get is shown. Every lane and zoom has its control.
	for id, checked := range map[string]bool{"mt-0": false, "mt-1": true, "host-0": true, "host-1": true, "host-2": true, "zoom-1": true, "zoom-2": false, "zoom-4": false, "zoom-8": false} {
		e, ok := inputs[id]
		if _, on := e.attrs["checked"]; !ok || on != checked {
			t.Errorf("input %s: present %v, checked %v; want checked %v", id, ok, on, checked)
		}
	}
	if got := countClass(els, "mt-0"); got != 10 {
		t.Errorf("%d heartbeats carry the filter class mt-0, want 10", got)
	}
	missed := 0
	for _, e := range els {
		if e.hasClass("op") && e.hasClass("missed") {
			missed++
		}
	}
	if missed != 1 {
		t.Errorf("%d ops are marked missed, want 1", missed)
	}
	if got := countClass(els, "state"); got != 2 {
		t.Errorf("%d states drawn, want 2", got)
	}
	for _, want := range []string{"leader t1", "follower t2", "Heartbeat ×10 (background, collapsed)", "the write the failing read missed", `href="#failure"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

// TestAMessageTypeHasOneColourOnEveryPage: the colour follows the type's
// name, not its rank on the page.
func TestAMessageTypeHasOneColourOnEveryPage(t *testing.T) {
	colourOf := func(page []byte, label string) string {
		m := regexp.MustCompile(`<g class="msg (c[0-9]+) [^"]*"><title>[^<]*` + label).FindSubmatch(page)
		if m == nil {
			t.Fatalf("no message %s on the page", label)
		}
		return string(m[1])
	}
	a := controlsPage()
	b := controlsPage()
	for i := range 30 { // now Get outnumbers Heartbeat
		b.Messages = append(b.Messages, Message{From: "c1", To: "n1", Sent: time.Duration(i) * ms1, Received: time.Duration(i+1) * ms1, Label: "Get"})
	}
	b.Messages = append(b.Messages, Message{From: "n2", To: "n1", Sent: 0, Received: ms1, Label: "Vote"})
	pa, pb := render(t, a), render(t, b)
	for _, label := range []string{"Heartbeat", "Get"} {
		if ca, cb := colourOf(pa, label), colourOf(pb, label); ca != cb {
			t.Errorf("%s is %s on one page and %s on another", label, ca, cb)
		}
	}
}

// controlProbe is appended to a page in the browser test only: it reads
// what the CSS controls did, clicks them, and writes the result into the
// DOM for --dump-dom.
const controlProbe = `<script>
(function () {
  var out = [];
  var shown = function (sel) { var e = document.querySelector(sel); return e && getComputedStyle(e).display !== 'none'; };
  var width = function () { return Math.round(document.querySelector('svg.plot').getBoundingClientRect().width); };
  out.push('heartbeat ' + shown('.msg.mt-0'));
  out.push('get ' + shown('.msg.mt-1'));
  var w1 = width();
  document.getElementById('mt-0').click();
  out.push('heartbeat-after-click ' + shown('.msg.mt-0'));
  document.getElementById('host-2').click();
  out.push('get-after-hiding-c1 ' + shown('.msg.mt-1'));
  document.getElementById('zoom-4').click();
  out.push('zoom ' + (width() / w1));
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = out.join(';');
  document.body.appendChild(pre);
})();
</script>`

func checkControlsInBrowser(t *testing.T, dump func(page []byte) []byte) {
	page := render(t, controlsPage())
	page = bytes.Replace(page, []byte("</body>"), []byte(controlProbe+"</body>"), 1)
	dom := dump(page)
	m := regexp.MustCompile(`<pre id="probe">([^<]*)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run:\n%s", dom[max(len(dom)-2000, 0):])
	}
	want := fmt.Sprintf("heartbeat false;get true;heartbeat-after-click true;get-after-hiding-c1 false;zoom %d", 4)
	if got := strings.TrimSpace(string(m[1])); got != want {
		t.Errorf("the controls in the browser: %s, want %s", got, want)
	}
}
