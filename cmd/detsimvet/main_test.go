package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoVetRunsTheToolAndFailsOnAReport drives the tool the way users do,
// through go vet -vettool, on a module with one planted violation and one
// clean package: go vet must print the report with its position and exit
// non-zero, and pass the clean package.
func TestGoVetRunsTheToolAndFailsOnAReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tool and runs go vet")
	}
	dir := t.TempDir()
	tool := filepath.Join(dir, "detsimvet")
	build := exec.Command("go", "build", "-o", tool, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mod := filepath.Join(dir, "mod")
	write(t, filepath.Join(mod, "go.mod"), "module example.com/mynode\n\ngo 1.23\n")
	write(t, filepath.Join(mod, "bad", "bad.go"), "package bad\n\nimport \"time\"\n\nfunc Stamp() int64 { return time.Now().UnixNano() }\n")
	write(t, filepath.Join(mod, "bad", "token.go"), "package bad\n\nimport \"crypto/rand\"\n\nfunc Token(b []byte) { rand.Read(b) }\n")
	write(t, filepath.Join(mod, "good", "good.go"), "package good\n\nimport \"time\"\n\nfunc Later(now time.Time) time.Time { return now.Add(time.Second) }\n")

	vet := func(pkg string) (string, error) {
		cmd := exec.Command("go", "vet", "-vettool="+tool, pkg)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := vet("./bad")
	if err == nil {
		t.Fatalf("go vet passed a package that reads the wall clock:\n%s", out)
	}
	for _, want := range []string{
		"bad.go:5:29: wallclock: time.Now reads the wall clock",
		"token.go:3:8: rand: crypto/rand cannot be replayed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("go vet output lacks %q:\n%s", want, out)
		}
	}
	if out, err := vet("./good"); err != nil {
		t.Fatalf("go vet failed a clean package: %v\n%s", err, out)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
