package nodetest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/detsim/detsim/scenarios"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// childEnv names the request file of a child process: the test binary run
// again to run the same test, whose call of Run then serves the request
// instead of checking.
const childEnv = "DETSIM_NODETEST_CHILD"

// childProcs are the GOMAXPROCS values the children run at.
var childProcs = []int{1, 4}

type childRequest struct {
	Test   string     `json:"test"`
	System string     `json:"system"`
	Runs   []childRun `json:"runs"`
	// Trace, when set, asks for the JSON trace of the only run, in this
	// file.
	Trace string `json:"trace,omitempty"`
}

type childRun struct {
	Scenario scenarios.Scenario `json:"scenario"`
	Seed     uint64             `json:"seed"`
}

type childReply struct {
	Hashes []string `json:"hashes"`
	Err    string   `json:"error,omitempty"`
}

// readChildRequest returns the request this process serves, if it is a
// child.
func readChildRequest() (path string, req childRequest, ok bool, err error) {
	path = os.Getenv(childEnv)
	if path == "" {
		return "", req, false, nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &req)
	}
	return path, req, true, err
}

// servedChild reports whether this process is a child, after serving its
// request if it is for this test and system.
func servedChild(t *testing.T, sys *system.System) bool {
	path, req, ok, err := readChildRequest()
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("nodetest child: %v", err)
	}
	serveChild(t, sys, path, req)
	return true
}

// serveChild runs the request's runs and writes their hashes beside it.
// A child runs the parent's test again, with everything else in it; a
// call of Run for another system or test does nothing here.
func serveChild(t *testing.T, sys *system.System, path string, req childRequest) {
	if req.Test != t.Name() || req.System != sys.Name() {
		return
	}
	var reply childReply
	for _, r := range req.Runs {
		opts := scenarios.Options{CheckWorkers: 1}
		var f *os.File
		var sink *sim.JSONSink
		if req.Trace != "" {
			var err error
			if f, err = os.Create(req.Trace); err != nil {
				reply.Err = err.Error()
				break
			}
			sink = sim.NewJSONSink(f)
			opts.Sink = sink
		}
		res, err := scenarios.Run(r.Scenario, r.Seed, opts)
		if sink != nil {
			if ferr := sink.Flush(); err == nil {
				err = ferr
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			reply.Err = fmt.Sprintf("scenario %s: %v", r.Scenario.Name, err)
			break
		}
		reply.Hashes = append(reply.Hashes, res.TraceHash)
	}
	b, _ := json.Marshal(reply)
	if err := os.WriteFile(path+".out", b, 0o644); err != nil {
		t.Fatalf("nodetest child: %v", err)
	}
}

// testPattern is the -test.run pattern that selects exactly the test
// called name (subtests included).
func testPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// exchange runs the test binary again at GOMAXPROCS procs with req and
// returns its reply, and the trace it was asked for.
func (s *suite) exchange(procs int, req childRequest) (reply childReply, trace []byte, err error) {
	dir, err := os.MkdirTemp("", "nodetest-")
	if err != nil {
		return reply, nil, err
	}
	defer os.RemoveAll(dir)
	req.Test, req.System = s.test, s.sys.Name()
	if req.Trace != "" {
		req.Trace = filepath.Join(dir, "trace.jsonl")
	}
	path := filepath.Join(dir, "request.json")
	b, err := json.Marshal(req)
	if err != nil {
		return reply, nil, err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return reply, nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run="+testPattern(s.test), "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path, fmt.Sprintf("GOMAXPROCS=%d", procs))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return reply, nil, fmt.Errorf("the child process at GOMAXPROCS=%d failed: %v\n%s", procs, err, out)
	}
	b, err = os.ReadFile(path + ".out")
	if err != nil {
		return reply, nil, fmt.Errorf("the child process at GOMAXPROCS=%d ran test %s but did not answer (does that test call nodetest.Run for the %s system?): %v\n%s", procs, s.test, s.sys.Name(), err, out)
	}
	if err := json.Unmarshal(b, &reply); err != nil {
		return reply, nil, fmt.Errorf("the child process at GOMAXPROCS=%d: a malformed reply: %v", procs, err)
	}
	if reply.Err != "" {
		return reply, nil, fmt.Errorf("the child process at GOMAXPROCS=%d: %s", procs, reply.Err)
	}
	if req.Trace != "" {
		if trace, err = os.ReadFile(req.Trace); err != nil {
			return reply, nil, err
		}
	}
	return reply, trace, nil
}

// inChildren returns the trace hashes of jobs, run in a child process at
// each of childProcs, which run side by side.
func (s *suite) inChildren(jobs []childRun) ([][]string, []error) {
	hashes := make([][]string, len(childProcs))
	errs := make([]error, len(childProcs))
	var wg sync.WaitGroup
	for i, procs := range childProcs {
		wg.Add(1)
		go func() { //detsim:goroutine waits for a child process, outside any world
			defer wg.Done()
			hashes[i], errs[i] = s.inChild(procs, jobs)
		}()
	}
	wg.Wait()
	return hashes, errs
}

// inChild returns the trace hashes of jobs, run in a child process.
func (s *suite) inChild(procs int, jobs []childRun) ([]string, error) {
	reply, _, err := s.exchange(procs, childRequest{Runs: jobs})
	if err != nil {
		return nil, err
	}
	if len(reply.Hashes) != len(jobs) {
		return nil, fmt.Errorf("the child process at GOMAXPROCS=%d answered %d of %d runs", procs, len(reply.Hashes), len(jobs))
	}
	return reply.Hashes, nil
}

// childTrace returns the JSON trace of job, run in a child process.
func (s *suite) childTrace(procs int, job childRun) ([]byte, error) {
	_, trace, err := s.exchange(procs, childRequest{Runs: []childRun{job}, Trace: "trace"})
	return trace, err
}
