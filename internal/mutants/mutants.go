package mutants

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Mutant is one source rewrite: Old, which must occur exactly once in
// File (a path relative to the module root), becomes New.
type Mutant struct {
	Name string
	// Area is the part of the protocol the mistake is in.
	Area string
	File string
	Old  string
	New  string
	// Why says what mistake the rewrite stands for.
	Why string
}

// Apply rewrites src. It fails, naming the mutant, if Old does not occur
// exactly once.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	switch n := bytes.Count(src, []byte(m.Old)); n {
	case 1:
		return bytes.Replace(src, []byte(m.Old), []byte(m.New), 1), nil
	case 0:
		return nil, fmt.Errorf("mutant %s: its text is not in %s (the source changed; update the mutant)", m.Name, m.File)
	default:
		return nil, fmt.Errorf("mutant %s: its text occurs %d times in %s; give it more context", m.Name, n, m.File)
	}
}

// Command is one test command a mutant run executes, as go test arguments.
type Command []string

// Suite is the default CI suite's tests that judge nodes/raft: the
// scenarios first, since what they catch a user's own system gets too.
var Suite = []Command{
	{"test", "-count=1", "./builtin", "-run", "FaultInjectionSuite"},
	{"test", "-count=1", "./nodes/raft/..."},
}

// Class is how a mutant run ended. The classes are ordered: a run that
// shows several counts as the first of them.
type Class int

const (
	// Survived: every test passed.
	Survived Class = iota
	// Correctness: a scenario's check failed (a safety invariant, the
	// linearizability check, durability, a quiet window), or a node
	// panicked on a broken invariant.
	Correctness
	// UnitTest: a test of a nodes/raft package failed.
	UnitTest
	// Unknown: a run ended with verdict unknown (a budget ran out, or no
	// client operation completed).
	Unknown
	// Hang: a test command ran out of time.
	Hang
	// Probe: a declared probe stopped firing; the faults no longer bite.
	// This kills the mutant only incidentally.
	Probe
	// Precondition: a scenario that hunts a planted bug no longer found
	// it; only incidental too.
	Precondition
	// Stillborn: the mutant does not build, so it says nothing of the
	// tests.
	Stillborn
	// Baseline: every scenario seed that failed fails on the unmutated
	// module too (Runner.Confirm), so the failure says nothing of the
	// mutant; it neither kills nor survives.
	Baseline
)

var classNames = [...]string{"survived", "correctness", "unit-test", "unknown", "hang", "probe", "precondition", "stillborn", "baseline"}

func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("Class(%d)", int(c))
	}
	return classNames[c]
}

// Killed reports whether the class kills the mutant.
func (c Class) Killed() bool { return c != Survived && c != Stillborn && c != Baseline }

// Incidental reports whether the class kills the mutant without any check
// having caught it.
func (c Class) Incidental() bool { return c == Probe || c == Precondition }

// Outcome is what the suite made of one mutant.
type Outcome struct {
	Mutant Mutant
	// Class is the outcome's first class; Classes all it showed.
	Class   Class
	Classes []Class
	// By names what failed first: a check, a test, a probe.
	By      string
	Elapsed time.Duration
}

var (
	reExpectedPass = regexp.MustCompile(`(\S+ seed \d+): expected to pass, failed: ([^:;\n]+)`)
	reAlsoFailed   = regexp.MustCompile(`(\S+ seed \d+): expected to fail only \S+, also failed ([^:;\n]+)`)
	reUnknown      = regexp.MustCompile(`(\S+ seed \d+): verdict unknown: ([^:;\n]+)`)
	reProbe        = regexp.MustCompile(`(\S+): probe "([^"]+)" never fired`)
	rePrecondition = regexp.MustCompile(`(\S+): expected to fail (\S+) in some seed, but passed all`)
	reFailTest     = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)
	rePanic        = regexp.MustCompile(`(?m)^panic: (.*)$`)
	reBuild        = regexp.MustCompile(`(?m)\[(build|setup) failed\]|^# \S+$`)
	reReplay       = regexp.MustCompile(`replay: go run ./cmd/simrun run (\S+) -seed (\d+)`)
)

// Classify reads the output of the suite's commands. timedOut says a
// command ran out of time.
func Classify(output string, timedOut bool) (classes []Class, by map[Class]string) {
	by = map[Class]string{}
	note := func(c Class, what string) {
		if _, ok := by[c]; !ok {
			by[c] = what
			classes = append(classes, c)
		}
	}
	if reBuild.MatchString(output) {
		// Nothing else in the output speaks of the tests.
		note(Stillborn, "the mutant does not build")
		return classes, by
	}
	if timedOut || strings.Contains(output, "panic: test timed out") {
		note(Hang, "a test command ran out of time")
	}
	for _, m := range reExpectedPass.FindAllStringSubmatch(output, -1) {
		note(Correctness, m[1]+": "+m[2])
	}
	for _, m := range reAlsoFailed.FindAllStringSubmatch(output, -1) {
		note(Correctness, m[1]+": "+m[2])
	}
	for _, m := range reUnknown.FindAllStringSubmatch(output, -1) {
		note(Unknown, m[1]+": "+m[2])
	}
	for _, m := range reProbe.FindAllStringSubmatch(output, -1) {
		note(Probe, m[1]+": probe "+m[2])
	}
	for _, m := range rePrecondition.FindAllStringSubmatch(output, -1) {
		note(Precondition, m[1]+": "+m[2]+" never found")
	}
	if m := rePanic.FindStringSubmatch(output); m != nil && !strings.Contains(m[1], "test timed out") {
		note(Correctness, "panic: "+m[1])
	}
	for _, m := range reFailTest.FindAllStringSubmatch(output, -1) {
		if !strings.HasPrefix(m[1], "TestFaultInjectionSuite") {
			note(UnitTest, m[1])
		}
	}
	slices.Sort(classes)
	return classes, by
}

// Runner applies mutants to copies of a module and runs commands on them.
type Runner struct {
	// Root is the module's root directory.
	Root string
	// Commands default to Suite.
	Commands []Command
	// Timeout bounds each command (default 5 minutes).
	Timeout time.Duration
	// Env is added to the commands' environment.
	Env []string
	// Exhaustive runs every command even after one killed the mutant by a
	// check; by default the run stops there, and Classes show only what
	// the commands run so far found.
	Exhaustive bool
	// Confirm replays each scenario seed that failed on the unmutated
	// module (simrun run, from Root): a kill stands only if the unmutated
	// module passes one of them, and is class Baseline otherwise. A sweep
	// of many seeds needs it, since it runs seeds the scenarios were never
	// checked on.
	Confirm bool
	// SkipEnv, with Confirm, is the environment variable through which the
	// commands skip scenario seeds (name:seed, comma-separated): a
	// Baseline outcome is run again without the seeds the unmutated
	// module fails, up to 10 of them, so that it still says something of
	// the mutant.
	SkipEnv string
}

// Run applies m to a temporary copy of the module, runs the commands there
// and classifies the result. An error means the mutant could not be tried
// at all.
func (r Runner) Run(ctx context.Context, m Mutant) (Outcome, error) {
	start := time.Now()
	src, err := os.ReadFile(filepath.Join(r.Root, m.File))
	if err != nil {
		return Outcome{}, fmt.Errorf("mutant %s: %w", m.Name, err)
	}
	mutated, err := m.Apply(src)
	if err != nil {
		return Outcome{}, err
	}
	dir, err := os.MkdirTemp("", "detsim-mutant-")
	if err != nil {
		return Outcome{}, err
	}
	defer os.RemoveAll(dir)
	if err := copyModule(r.Root, dir); err != nil {
		return Outcome{}, fmt.Errorf("copying the module for mutant %s: %w", m.Name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, m.File), mutated, 0o644); err != nil {
		return Outcome{}, err
	}
	cmds := r.Commands
	if len(cmds) == 0 {
		cmds = Suite
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	var skipped []string // scenario seeds the unmutated module fails too
	for {
		o, output, err := r.runCommands(ctx, m, dir, cmds, timeout, skipped)
		if err != nil {
			return Outcome{}, err
		}
		if r.Confirm && (o.Class == Correctness || o.Class == Unknown) {
			failing, err := r.confirm(ctx, &o, output)
			if err != nil {
				return Outcome{}, err
			}
			if o.Class == Baseline && r.SkipEnv != "" && len(skipped) < maxSkipped {
				skipped = append(skipped, failing...)
				continue
			}
		}
		if len(skipped) > 0 {
			o.By += " (skipped, failing unmutated too: " + strings.Join(skipped, ", ") + ")"
		}
		o.Elapsed = time.Since(start)
		return o, nil
	}
}

// maxSkipped bounds the scenario seeds a run skips because the unmutated
// module fails them: past it, the outcome is Baseline.
const maxSkipped = 10

// runCommands runs the commands in dir, skipping the scenario seeds
// skipped (through SkipEnv), and classifies their output.
func (r Runner) runCommands(ctx context.Context, m Mutant, dir string, cmds []Command, timeout time.Duration, skipped []string) (Outcome, string, error) {
	env := append(append(os.Environ(), "GOFLAGS=-trimpath"), r.Env...)
	if len(skipped) > 0 {
		env = append(env, r.SkipEnv+"="+strings.Join(skipped, ","))
	}
	var out bytes.Buffer
	timedOut := false
	for _, args := range cmds {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		cmd := exec.CommandContext(cctx, "go", args...)
		cmd.Dir = dir
		// -trimpath keeps the build cache's keys free of the copy's
		// directory, so that only the mutated packages rebuild.
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if cctx.Err() == context.DeadlineExceeded {
			timedOut = true
		}
		cancel()
		if err := ctx.Err(); err != nil {
			return Outcome{}, "", err
		}
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return Outcome{}, "", fmt.Errorf("mutant %s: go %s: %w", m.Name, strings.Join(args, " "), err)
		}
		if classes, _ := Classify(out.String(), timedOut); !r.Exhaustive && len(classes) > 0 && classes[0].Killed() && !classes[0].Incidental() {
			break
		}
	}
	classes, by := Classify(out.String(), timedOut)
	o := Outcome{Mutant: m, Classes: classes}
	if len(classes) > 0 {
		o.Class, o.By = classes[0], by[classes[0]]
	} else if strings.Contains(out.String(), "FAIL") {
		// A failure the classes do not describe still kills the mutant.
		o.Class, o.By = UnitTest, "a failure of another kind (see the output)"
	}
	return o, out.String(), nil
}

// confirm replays on the unmutated module the scenario seeds that failed
// with the mutant; if the unmutated module fails every one of them too,
// the outcome becomes Baseline, and confirm returns them as name:seed.
func (r Runner) confirm(ctx context.Context, o *Outcome, output string) ([]string, error) {
	replays := reReplay.FindAllStringSubmatch(output, -1)
	if len(replays) == 0 {
		return nil, nil // a failure no scenario seed names (a panic): it stands
	}
	var failing []string
	for _, m := range replays {
		name, seed := m[1], m[2]
		artifacts, err := os.MkdirTemp("", "detsim-confirm-")
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, "go", "run", "./cmd/simrun", "run", name, "-seed", seed, "-out", artifacts)
		cmd.Dir = r.Root
		out, err := cmd.CombinedOutput()
		os.RemoveAll(artifacts)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var exit *exec.ExitError
		switch {
		case err == nil:
			return nil, nil // the unmutated module passes it: the mutant's failure
		case errors.As(err, &exit) && (exit.ExitCode() == 1 || exit.ExitCode() == 3):
			failing = append(failing, name+":"+seed)
		default:
			return nil, fmt.Errorf("mutant %s: replaying %s seed %s on the unmutated module: %v\n%s", o.Mutant.Name, name, seed, err, out)
		}
	}
	o.Class, o.By = Baseline, "the unmutated module fails "+strings.Join(failing, ", ")+" too"
	o.Classes = append(o.Classes, Baseline)
	return failing, nil
}

// copyModule copies the module's files, without version control.
func copyModule(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || (rel != "." && d.Name() == "deploy") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
}

// Summarize is the score of a set of outcomes: mutants killed, those
// killed by a check (not only incidentally), and the survivors.
func Summarize(outcomes []Outcome) string {
	var b strings.Builder
	tried, killed, byCheck := 0, 0, 0
	count := map[Class]int{}
	var survivors, baseline []string
	for _, o := range outcomes {
		count[o.Class]++
		switch o.Class {
		case Stillborn:
			continue
		case Baseline:
			baseline = append(baseline, o.Mutant.Name)
			continue
		}
		tried++
		if o.Class.Killed() {
			killed++
			if !o.Class.Incidental() {
				byCheck++
			}
		} else {
			survivors = append(survivors, o.Mutant.Name)
		}
	}
	pct := func(n int) float64 {
		if tried == 0 {
			return 0
		}
		return 100 * float64(n) / float64(tried)
	}
	fmt.Fprintf(&b, "mutants: %d tried, %d killed (%.0f%%), %d by a check (%.0f%%)\n", tried, killed, pct(killed), byCheck, pct(byCheck))
	for c := Correctness; c <= Baseline; c++ {
		if count[c] > 0 {
			fmt.Fprintf(&b, "  %-13s %d\n", c.String()+":", count[c])
		}
	}
	if len(survivors) > 0 {
		fmt.Fprintf(&b, "survivors: %s\n", strings.Join(survivors, ", "))
	}
	if len(baseline) > 0 {
		fmt.Fprintf(&b, "not scored (the unmutated module fails the same seeds): %s\n", strings.Join(baseline, ", "))
	}
	return b.String()
}
