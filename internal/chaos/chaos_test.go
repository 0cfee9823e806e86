package chaos

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/sim"
)

var small = Options{Hosts: 5, Duration: time.Second}

// TestSameSeedSameHash runs 200 seeds of the chaos workload, with every
// fault type on, twice each: the hashes must agree, and differ between
// seeds.
func TestSameSeedSameHash(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	owner := map[uint64]uint64{}
	for s := uint64(0); s < uint64(seeds); s++ {
		a, err := Run(s, small)
		if err != nil {
			t.Fatalf("seed %d: %v", s, err)
		}
		b, err := Run(s, small)
		if err != nil {
			t.Fatalf("seed %d, second run: %v", s, err)
		}
		if a.Hash != b.Hash || a.Events != b.Events || a.Counters != b.Counters {
			t.Fatalf("seed %d ran differently twice: hash %x vs %x, events %d vs %d", s, a.Hash, b.Hash, a.Events, b.Events)
		}
		if a.Counters.Dropped == 0 || a.Counters.Duplicated == 0 || a.Events < 1000 {
			t.Fatalf("seed %d: the workload did too little to prove anything: %+v, %d events", s, a.Counters, a.Events)
		}
		if prev, dup := owner[a.Hash]; dup {
			t.Fatalf("seeds %d and %d gave the same hash %x", prev, s, a.Hash)
		}
		owner[a.Hash] = s
	}
}

// TestHashIsTheSameInChildProcesses runs a seed in child processes at
// GOMAXPROCS=1 and 4 and compares their hashes with this process's.
func TestHashIsTheSameInChildProcesses(t *testing.T) {
	if os.Getenv("DETSIM_CHAOS_CHILD") != "" {
		t.Skip("in a child")
	}
	const seed = 12345
	want, err := Run(seed, small)
	if err != nil {
		t.Fatal(err)
	}
	for _, procs := range []string{"1", "4"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildPrintsHash$", "-test.v")
		cmd.Env = append(os.Environ(), "DETSIM_CHAOS_CHILD="+strconv.Itoa(seed), "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child at GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
		got := ""
		for _, line := range strings.Split(string(out), "\n") {
			if h, ok := strings.CutPrefix(strings.TrimSpace(line), "HASH "); ok {
				got = h
			}
		}
		if got != fmt.Sprintf("%x", want.Hash) {
			t.Fatalf("child at GOMAXPROCS=%s printed hash %q, parent computed %x\n%s", procs, got, want.Hash, out)
		}
	}
}

func TestChildPrintsHash(t *testing.T) {
	seed, err := strconv.ParseUint(os.Getenv("DETSIM_CHAOS_CHILD"), 10, 64)
	if err != nil {
		t.Skip("only runs as a child of TestHashIsTheSameInChildProcesses")
	}
	r, err := Run(seed, small)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("HASH %x\n", r.Hash)
}

// TestSinksDoNotChangeTheHash: the hash is over the events, not over how
// (or whether) they are written out.
func TestSinksDoNotChangeTheHash(t *testing.T) {
	bare, err := Run(3, small)
	if err != nil {
		t.Fatal(err)
	}
	var jsonBuf, textBuf bytes.Buffer
	js := sim.NewJSONSink(&jsonBuf)
	withJSON, err := Run(3, Options{Hosts: small.Hosts, Duration: small.Duration, Sink: js})
	if err != nil {
		t.Fatal(err)
	}
	js.Flush()
	ts := sim.NewTextSink(&textBuf)
	withText, err := Run(3, Options{Hosts: small.Hosts, Duration: small.Duration, Sink: ts})
	if err != nil {
		t.Fatal(err)
	}
	ts.Flush()
	if bare.Hash != withJSON.Hash || bare.Hash != withText.Hash {
		t.Fatalf("hash depends on the sink: none %x, json %x, text %x", bare.Hash, withJSON.Hash, withText.Hash)
	}
	kinds := map[string]int{}
	sc := bufio.NewScanner(&jsonBuf)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var rec struct {
			Kind string `json:"kind"`
			T    int64  `json:"t"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", lines, err, sc.Text())
		}
		kinds[rec.Kind]++
	}
	for _, k := range []string{"send", "deliver", "drop", "duplicate", "timer", "boot", "crash", "restart", "pause", "resume", "fault", "clock", "log"} {
		if kinds[k] == 0 {
			t.Errorf("the JSON trace has no %q record (kinds seen: %v)", k, kinds)
		}
	}
	if strings.Count(textBuf.String(), "\n") != lines {
		t.Errorf("text sink wrote %d lines, JSON sink %d", strings.Count(textBuf.String(), "\n"), lines)
	}
}
