package simrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/detsim/detsim/checker"
)

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	model := fs.String("model", "kv", "the model: "+strings.Join(checker.Models(), ", "))
	timeout := fs.Duration("timeout", time.Minute, "give up (verdict unknown) after this long")
	viz := fs.String("out", "", "write porcupine's visualisation here when the history is not linearizable")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, "check", err)
	}
	if len(pos) != 1 {
		return fail(stderr, "check", errors.New("needs exactly one history file (simrun check [-model kv] HISTORY.jsonl)"))
	}
	if !slices.Contains(checker.Models(), *model) {
		return fail(stderr, "check", fmt.Errorf("-model %q is not one of %s", *model, strings.Join(checker.Models(), ", ")))
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fail(stderr, "check", err)
	}
	defer f.Close()
	opts := checker.CheckOptions{Timeout: *timeout, VisualizationPath: *viz}
	var res checker.Result
	if *model == "bank" {
		res, err = checker.CheckJSONL(f, *model, checker.JSONLOptions{Check: opts})
	} else {
		var h checker.Recorded
		if h, err = checker.ReadHistory(*model, f); err == nil {
			res = h.Check(opts)
		}
	}
	if err != nil {
		return fail(stderr, "check", fmt.Errorf("%s: %w", pos[0], err))
	}
	fmt.Fprintf(stdout, "%s: %s\n", pos[0], res)
	if res.Failure != nil {
		fmt.Fprintf(stdout, "%s\n", res.Failure.Explanation)
	}
	if res.Visualization != "" {
		fmt.Fprintf(stdout, "visualisation: %s\n", res.Visualization)
	}
	switch res.Verdict {
	case checker.Ok:
		return exitPass
	case checker.Illegal:
		return exitFail
	}
	return exitUnknown
}
