package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/detsim/detsim/vet/determinism"
)

func main() {
	if err := redirectStdout(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "detsimvet:", err)
		os.Exit(1)
	}
	unitchecker.Main(determinism.Analyzer)
}

// redirectStdout honours the Stdout field of the vet configuration that go
// vet passes (Go 1.26 and later): go vet asks for JSON and reads it from
// that file, not from the tool's standard output, and judges the exit
// status by what it reads there. Without it, reports would be printed raw
// and go vet would exit 0. Older go commands send no such field.
func redirectStdout(args []string) error {
	if len(args) == 0 || !strings.HasSuffix(args[len(args)-1], ".cfg") {
		return nil
	}
	data, err := os.ReadFile(args[len(args)-1])
	if err != nil {
		return err
	}
	var cfg struct{ Stdout string }
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("reading vet configuration %s: %v", args[len(args)-1], err)
	}
	if cfg.Stdout == "" {
		return nil
	}
	f, err := os.Create(cfg.Stdout)
	if err != nil {
		return err
	}
	os.Stdout = f
	return nil
}
