package primarybackup_test

import (
	"os"
	"strings"
	"testing"
)

// TestTheREADMEShowsThisSystem keeps the README's "Bring your own system"
// section true: its main is this package's, its commands run.
func TestTheREADMEShowsThisSystem(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile("cmd/pbrun/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, fn, ok := strings.Cut(string(main), "func main() {")
	if !ok || !strings.Contains(string(readme), "func main() {"+fn) {
		t.Fatal("the README's main is not cmd/pbrun's")
	}
	for _, field := range []string{`Name:      "pbreg"`, "Promises:", "Counters:", "Scenarios:"} {
		if !strings.Contains(string(readme), field) {
			t.Errorf("the README's Spec lacks %s", field)
		}
	}
	var cmds []string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "    go run ./examples/primarybackup/cmd/pbrun ") {
			cmds = append(cmds, strings.TrimPrefix(line, "    go run ./examples/primarybackup/cmd/pbrun "))
		}
	}
	if len(cmds) != 3 {
		t.Fatalf("the README shows %d pbrun commands, want 3", len(cmds))
	}
	for _, cmd := range cmds {
		args := strings.Fields(strings.ReplaceAll(strings.ReplaceAll(cmd, "DIR", t.TempDir()), "0:200", "0:3"))
		code, out := pbrun(t, args...)
		want := 0
		if strings.Contains(cmd, "bug") {
			want = 1
		}
		if code != want {
			t.Errorf("pbrun %s: exit %d, want %d\n%s", cmd, code, want, out)
		}
	}
}
