package capmeter_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The page is for people with browsers: render it in one and count the
// points the browser's DOM holds.
func TestThePageRendersInABrowserWithEveryPoint(t *testing.T) {
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			bin = path
			break
		}
	}
	if bin == "" {
		const msg = "chromium not installed: apt-get install chromium; the CAP page was not rendered in a browser"
		if os.Getenv("DETSIM_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " (DETSIM_REQUIRE_BROWSER is set)")
		}
		t.Skip("!!! " + msg)
	}
	tab := defaultTable(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "cap.html")
	if err := os.WriteFile(path, renderPage(t, tab, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	chromium := func(args ...string) []byte {
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
	dom := chromium("--dump-dom", "file://"+path)
	points := regexp.MustCompile(`<g class="cap-point" data-point="([^"]+)"`).FindAllSubmatch(dom, -1)
	if len(points) != len(tab.Rows) {
		t.Fatalf("the browser's DOM holds %d points, want %d", len(points), len(tab.Rows))
	}
	for i, p := range points {
		if got, want := string(p[1]), tab.Rows[i].String(); got != want {
			t.Errorf("point %d is %s, want %s", i, got, want)
		}
	}
	shot := filepath.Join(dir, "cap.png")
	chromium("--screenshot="+shot, "--window-size=900,640", "--hide-scrollbars", "file://"+path)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 10_000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the screenshot is %d bytes and not a PNG of the page", len(png))
	}
	if out := os.Getenv("DETSIM_CAP_SHOT"); out != "" {
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
