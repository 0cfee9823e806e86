package crossarch

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"github.com/detsim/detsim/builtin"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detsim/detsim/scenarios"
)

// childEnv names the cases file a child run reads; a test binary started
// with it set prints "CASE HASH" lines instead of running tests.
const childEnv = "DETSIM_CROSSARCH_CHILD"

func TestMain(m *testing.M) {
	builtin.Register()
	if path := os.Getenv(childEnv); path != "" {
		if err := printHashes(path); err != nil {
			fmt.Fprintln(os.Stderr, "crossarch child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pinned are seeds that parted between amd64 and arm64 before the fused
// products of the fault generator were rounded, and the seeds the report
// of that defect named for a sparse generator.
var pinned = []Case{
	{Scenario: "raft-swarm", Seed: 9329130},  // arm64 hashed dc04bc78d408a9f8, amd64 e6d8092ac45f33dd
	{Scenario: "raft-swarm", Seed: 10828234}, // arm64 hashed 2c872952c7067ab8, amd64 81f07c282d0640ec
	{Scenario: "raft-swarm", Interval: 40 * time.Second, Seed: 416825},
	{Scenario: "raft-swarm", Interval: 40 * time.Second, Seed: 633008},
	{Scenario: "raft-swarm", Interval: 40 * time.Second, Seed: 953960},
}

// ordinaryCases is how many ordinary (scenario, seed) cases the test runs,
// spread evenly over the built-in scenarios with at least minSeeds each:
// it keeps the test a few minutes in CI however many scenarios there are,
// since qemu runs the simulator several times slower than native code.
const (
	ordinaryCases = 720
	minSeeds      = 2
)

// ordinarySeeds is how many seeds of each of n scenarios the test runs.
func ordinarySeeds(n int) int {
	return max(minSeeds, ordinaryCases/max(n, 1))
}

func TestSeedsHashTheSameUnderQemuAsNatively(t *testing.T) {
	target, qemu := emulated(t)
	seeds := ordinarySeeds(len(scenarios.Names()))
	if v := os.Getenv("DETSIM_CROSSARCH_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("DETSIM_CROSSARCH_SEEDS=%q: want a number of seeds per scenario", v)
		}
		seeds = n
	}
	cases := append([]Case(nil), pinned...)
	for _, name := range scenarios.Names() {
		for seed := range uint64(seeds) {
			cases = append(cases, Case{Scenario: name, Seed: seed})
		}
	}
	dir := t.TempDir()
	binary := filepath.Join(dir, "crossarch."+target+".test")
	build := exec.Command("go", "test", "-c", "-o", binary, ".")
	build.Env = append(os.Environ(), "GOARCH="+target, "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the test for %s: %v\n%s", target, err, out)
	}
	casesFile := filepath.Join(dir, "cases.txt")
	var list strings.Builder
	for _, c := range cases {
		fmt.Fprintln(&list, c)
	}
	if err := os.WriteFile(casesFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), childTimeout(t))
	defer cancel()
	child := exec.CommandContext(ctx, qemu, binary)
	child.Env = append(os.Environ(), childEnv+"="+casesFile)
	var stdout, stderr bytes.Buffer
	child.Stdout, child.Stderr = &stdout, &stderr
	start := time.Now()
	if err := child.Start(); err != nil {
		t.Fatalf("starting %s %s: %v", qemu, binary, err)
	}
	native := hashAll(t, cases, 1) // the child has the other core
	if err := child.Wait(); err != nil {
		t.Fatalf("%s under %s: %v\n%s", target, qemu, err, stderr.String())
	}
	t.Logf("%d cases under %s in %v", len(cases), filepath.Base(qemu), time.Since(start).Round(time.Millisecond))

	emulatedHashes := map[string]string{}
	lines := bufio.NewScanner(&stdout)
	for lines.Scan() {
		i := strings.LastIndexByte(lines.Text(), ' ')
		if i < 0 {
			t.Fatalf("child printed %q, want \"CASE HASH\"", lines.Text())
		}
		emulatedHashes[lines.Text()[:i]] = lines.Text()[i+1:]
	}
	for i, c := range cases {
		got, ok := emulatedHashes[c.String()]
		switch {
		case !ok:
			t.Errorf("%v: no hash from %s", c, target)
		case got != native[i]:
			t.Errorf("%v: trace hash %s on %s under qemu, %s natively (%s): the run differs between architectures",
				c, got, target, native[i], runtime.GOARCH)
		}
	}
}

// emulated picks the architecture to compare with and its qemu, or skips.
func emulated(t *testing.T) (target, qemu string) {
	target, names := "arm64", []string{"qemu-aarch64", "qemu-aarch64-static"}
	if runtime.GOARCH == "arm64" {
		target, names = "amd64", []string{"qemu-x86_64", "qemu-x86_64-static"}
	}
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return target, path
		}
	}
	msg := fmt.Sprintf("neither %s is on the PATH (Debian's qemu-user package has them), so %s runs cannot be compared with %s ones",
		strings.Join(names, " nor "), target, runtime.GOARCH)
	if os.Getenv("DETSIM_REQUIRE_QEMU") == "1" {
		t.Fatalf("DETSIM_REQUIRE_QEMU=1, but %s", msg)
	}
	t.Skip(msg)
	return "", ""
}

func childTimeout(t *testing.T) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		return time.Until(deadline) - 10*time.Second
	}
	return time.Hour
}

// hashAll hashes the cases with workers goroutines, in the cases' order.
func hashAll(t testing.TB, cases []Case, workers int) []string {
	hashes := make([]string, len(cases))
	errs := make([]error, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				hashes[i], errs[i] = Hash(cases[i])
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%v: %v", cases[i], err)
		}
	}
	return hashes
}

// printHashes is the child: every case of the file, with its hash.
func printHashes(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cases, err := ReadCases(f)
	if err != nil {
		return err
	}
	hashes := hashAll(fatalOnly{}, cases, runtime.GOMAXPROCS(0))
	out := bufio.NewWriter(os.Stdout)
	for i, c := range cases {
		fmt.Fprintf(out, "%v %s\n", c, hashes[i])
	}
	return out.Flush()
}

// fatalOnly lets the child share hashAll: it has no *testing.T.
type fatalOnly struct{ testing.TB }

func (fatalOnly) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func TestCasesReadBackAsWritten(t *testing.T) {
	for _, c := range append(pinned, Case{Scenario: "raft-happy", Seed: 0}) {
		got, err := ParseCase(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCase(%q) = %+v, %v; want %+v", c.String(), got, err, c)
		}
	}
	for line, want := range map[string]string{
		"raft-happy":        `want "NAME SEED"`,
		"raft-happy x":      "seed",
		"raft-happy -1":     "seed",
		"raft-swarm@soon 1": `interval "soon" is not a positive duration`,
		"raft-swarm@-1s 1":  `interval "-1s" is not a positive duration`,
		"raft-swarm@0s 1":   `interval "0s" is not a positive duration`,
	} {
		if _, err := ParseCase(line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCase(%q) = %v; want an error containing %q", line, err, want)
		}
	}
	if _, err := Hash(Case{Scenario: "raft-happy", Interval: time.Second}); err == nil || !strings.Contains(err.Error(), "no generator") {
		t.Errorf("a case that sets the interval of a scenario without a generator: %v", err)
	}
	if _, err := Hash(Case{Scenario: "no-such-scenario"}); err == nil {
		t.Error("a case naming no scenario ran")
	}
}
