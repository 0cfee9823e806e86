package etcdsys_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const determinismSeeds = 200

func seedCount() int {
	if testing.Short() {
		return 40
	}
	return determinismSeeds
}

// hashes runs seeds [0, n) of the short swarm and returns their trace
// hashes, failing on any run that did not behave as expected.
func hashes(t testing.TB, n int) []string {
	s := shortSwarm(t)
	out := make([]string, n)
	for seed := range n {
		r := run(t, s, uint64(seed))
		if !r.Expected {
			t.Fatalf("seed %d: %s", seed, r.Summary())
		}
		if r.Events < 1000 {
			t.Fatalf("seed %d ran only %d events: too little to prove anything", seed, r.Events)
		}
		out[seed] = r.TraceHash
	}
	return out
}

// once holds the hashes of the first pass over the seeds, which the other
// tests compare against.
var once struct {
	sync.Mutex
	hashes []string
}

func firstPass(t testing.TB) []string {
	once.Lock()
	defer once.Unlock()
	if once.hashes == nil {
		once.hashes = hashes(t, seedCount())
	}
	return once.hashes
}

// childSeeds is how many of the seeds each child process runs.
func childSeeds() int { return seedCount() / 4 }

// TestSameSeedSameHash runs every seed twice in one process: the hashes
// agree, and no two seeds share one.
func TestSameSeedSameHash(t *testing.T) {
	n := seedCount()
	a, b := firstPass(t), hashes(t, n)
	owner := map[string]int{}
	for seed := range n {
		if a[seed] != b[seed] {
			t.Fatalf("seed %d ran differently twice: hash %s, then %s", seed, a[seed], b[seed])
		}
		if prev, dup := owner[a[seed]]; dup {
			t.Fatalf("seeds %d and %d gave the same hash %s", prev, seed, a[seed])
		}
		owner[a[seed]] = seed
	}
}

// TestParallelWorldsGiveTheSameHashes runs two goroutines over the same
// seeds at once, as `simrun sweep -j 2` does: crypto/rand.Reader is one
// variable for the process, so without the adapter's lock the two worlds'
// election timeouts would draw from each other's streams.
func TestParallelWorldsGiveTheSameHashes(t *testing.T) {
	n := childSeeds() / 2
	want := firstPass(t)
	got := make([][]string, 2)
	var wg sync.WaitGroup
	for w := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[w] = hashes(t, n)
		}()
	}
	wg.Wait()
	for w := range got {
		for seed := range n {
			if got[w][seed] != want[seed] {
				t.Fatalf("worker %d, seed %d: hash %s in parallel, %s alone", w, seed, got[w][seed], want[seed])
			}
		}
	}
}

// TestHashesAreTheSameInChildProcesses runs the first seeds in child
// processes at GOMAXPROCS 1 and 4 and compares every hash with this
// process's.
func TestHashesAreTheSameInChildProcesses(t *testing.T) {
	if os.Getenv("DETSIM_ETCD_CHILD") != "" {
		t.Skip("in a child")
	}
	n := childSeeds()
	want := strings.Join(firstPass(t)[:n], " ")
	for _, procs := range []string{"1", "4"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildPrintsHashes$", "-test.v")
		cmd.Env = append(os.Environ(), "DETSIM_ETCD_CHILD="+strconv.Itoa(n), "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child at GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
		got := ""
		for _, line := range strings.Split(string(out), "\n") {
			if h, ok := strings.CutPrefix(strings.TrimSpace(line), "HASHES "); ok {
				got = h
			}
		}
		if got != want {
			t.Fatalf("child at GOMAXPROCS=%s printed hashes\n%s\nthe parent computed\n%s", procs, got, want)
		}
	}
}

func TestChildPrintsHashes(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("DETSIM_ETCD_CHILD"))
	if err != nil {
		t.Skip("only runs as a child of TestHashesAreTheSameInChildProcesses")
	}
	fmt.Printf("HASHES %s\n", strings.Join(hashes(t, n), " "))
}
