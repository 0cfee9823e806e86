package etcdraft_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/detsim/detsim/net"
	"github.com/detsim/detsim/nodes/client"
	"github.com/detsim/detsim/nodes/etcdraft"
	"github.com/detsim/detsim/sim"
)

// The work of etcd's rafttest.TestBasicProgress: 5 nodes elect a leader,
// then proposals are made until every node has committed all of them.
// rafttest runs it in real time: a goroutine per node, a 5ms ticker, a
// goroutine per message that sleeps a random 0-10ms before delivering it.
// basicConfig is its raft configuration, for both harnesses.
func basicConfig() etcdraft.Config {
	cfg := etcdraft.DefaultConfig()
	cfg.TickInterval = 5 * time.Millisecond
	cfg.ElectionTicks, cfg.HeartbeatTicks = 10, 1
	cfg.PreVote, cfg.CheckQuorum = false, false
	cfg.SnapshotEntries = 0
	return cfg
}

const basicNodes = 5

// detsimProgress does the work under detsim, with one-way delays drawn
// from [0, latency), and returns the virtual time it took.
func detsimProgress(tb testing.TB, seed uint64, proposals int, latency time.Duration) time.Duration {
	w, err := sim.NewWorld(sim.Options{Seed: seed, MaxEvents: 100_000_000})
	if err != nil {
		tb.Fatal(err)
	}
	nw, err := net.New(w, net.Options{Default: net.Link{Latency: net.Uniform{Max: latency}}})
	if err != nil {
		tb.Fatal(err)
	}
	peers := make([]sim.HostID, basicNodes)
	for i := range peers {
		peers[i] = sim.HostID(i)
	}
	for i := range basicNodes {
		if _, err := w.AddHost(sim.HostConfig{Name: fmt.Sprintf("n%d", i+1), Peers: peers, Factory: etcdraft.New(basicConfig())}); err != nil {
			tb.Fatal(err)
		}
	}
	proposer, err := w.AddHost(sim.HostConfig{Name: "proposer", Factory: func() sim.Node { return idle{} }})
	if err != nil {
		tb.Fatal(err)
	}
	node := func(i int) *etcdraft.Node { return w.Host(sim.HostID(i)).Node().(*etcdraft.Node) }
	step := func() {
		if out := w.RunFor(5 * time.Millisecond); out.Err != nil {
			tb.Fatal(out.Err)
		}
	}
	// Wait until every node follows one leader, as rafttest's waitLeader.
	leader := sim.NoHost
	for leader == sim.NoHost {
		step()
		lead := node(0).BasicStatus().Lead
		agreed := lead != raft.None
		for i := range basicNodes {
			agreed = agreed && node(i).BasicStatus().Lead == lead
		}
		if agreed {
			leader = etcdraft.HostOf(lead)
		}
	}
	target := node(int(leader)).BasicStatus().Commit + uint64(proposals)
	for i := range proposals {
		nw.Send(proposer, leader, client.Request{Client: uint64(i + 1), Seq: 1, Op: client.Op{Kind: client.OpPut, Key: "k", Value: "somedata"}})
	}
	for done := false; !done; {
		step()
		done = true
		for i := range basicNodes {
			done = done && node(i).BasicStatus().Commit >= target
		}
		if w.Now() > time.Hour {
			tb.Fatalf("seed %d: %d proposals not committed on every node after an hour of virtual time", seed, proposals)
		}
	}
	return w.Now()
}

type idle struct{}

func (idle) Start(sim.Env)           {}
func (idle) Receive(sim.HostID, any) {}
func (idle) Timer(sim.TimerID, any)  {}

// realTimeProgress does the same work the way rafttest does, in real time:
// etcd's goroutine-based raft.Node per node, a 5ms ticker, each message
// delivered by its own goroutine after a random sleep in [0, latency), and
// 1ms of sleep after each Ready's entries are stored. Proposals go to the
// leader. It polls for the leader and for convergence every millisecond.
func realTimeProgress(tb testing.TB, proposals int, latency time.Duration) time.Duration {
	start := time.Now()
	peers := make([]raft.Peer, basicNodes)
	for i := range peers {
		peers[i] = raft.Peer{ID: uint64(i + 1)}
	}
	inbox := make([]chan raftpb.Message, basicNodes)
	for i := range inbox {
		// rafttest's queues hold 1,024 messages and drop beyond; larger
		// ones here, so that no proposal is lost at thousands in flight.
		inbox[i] = make(chan raftpb.Message, 8192)
	}
	deliver := func(m raftpb.Message) {
		if latency > 0 {
			time.Sleep(rand.N(latency))
		}
		b, err := m.Marshal() // a copy, as rafttest makes one
		if err != nil {
			panic(err)
		}
		var cm raftpb.Message
		if err := cm.Unmarshal(b); err != nil {
			panic(err)
		}
		select {
		case inbox[cm.To-1] <- cm:
		default: // a full queue drops, as in rafttest
		}
	}
	cfg := basicConfig()
	nodes := make([]raft.Node, basicNodes)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range nodes {
		st := raft.NewMemoryStorage()
		n := raft.StartNode(&raft.Config{
			ID: uint64(i + 1), ElectionTick: cfg.ElectionTicks, HeartbeatTick: cfg.HeartbeatTicks, Storage: st,
			MaxSizePerMsg: cfg.MaxSizePerMsg, MaxInflightMsgs: cfg.MaxInflightMsgs, MaxUncommittedEntriesSize: 1 << 30,
			Logger: quiet{},
		}, peers)
		nodes[i] = n
		wg.Add(1)
		go func() {
			defer wg.Done()
			ticker := time.NewTicker(cfg.TickInterval)
			defer ticker.Stop()
			for {
				select {
				case <-ticker.C:
					n.Tick()
				case rd := <-n.Ready():
					if !raft.IsEmptyHardState(rd.HardState) {
						st.SetHardState(rd.HardState)
					}
					st.Append(rd.Entries)
					time.Sleep(time.Millisecond)
					for _, m := range rd.Messages {
						go deliver(m)
					}
					n.Advance()
				case m := <-inbox[i]:
					go n.Step(context.Background(), m)
				case <-stop:
					n.Stop()
					return
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	var leader raft.Node
	for leader == nil {
		lead := nodes[0].Status().Lead
		agreed := lead != raft.None
		for _, n := range nodes {
			agreed = agreed && n.Status().Lead == lead
		}
		if agreed {
			leader = nodes[lead-1]
		}
		time.Sleep(time.Millisecond)
	}
	// Proposals go to the leader, as under detsim: a proposal forwarded
	// by a follower can be dropped and would never commit.
	target := leader.Status().Commit + uint64(proposals)
	for range proposals {
		if err := leader.Propose(context.Background(), []byte("somedata")); err != nil {
			tb.Fatal(err)
		}
	}
	for {
		done := true
		for _, n := range nodes {
			done = done && n.Status().Commit >= target
		}
		if done {
			return time.Since(start)
		}
		if time.Since(start) > time.Minute {
			tb.Fatalf("%d proposals not committed on every node within a minute", proposals)
		}
		time.Sleep(time.Millisecond)
	}
}

type quiet struct{}

func (quiet) Debug(...any)            {}
func (quiet) Debugf(string, ...any)   {}
func (quiet) Info(...any)             {}
func (quiet) Infof(string, ...any)    {}
func (quiet) Warning(...any)          {}
func (quiet) Warningf(string, ...any) {}
func (quiet) Error(...any)            {}
func (quiet) Errorf(string, ...any)   {}
func (quiet) Fatal(v ...any)          { panic(fmt.Sprint(v...)) }
func (quiet) Fatalf(f string, v ...any) {
	panic(fmt.Sprintf(f, v...))
}
func (quiet) Panic(v ...any)            { panic(fmt.Sprint(v...)) }
func (quiet) Panicf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }

// TestBasicProgressUnderDetsim: the work completes, in virtual time
// comparable to what it takes in real time (elections take tens of
// milliseconds, proposals a few round trips), the same way twice.
func TestBasicProgressUnderDetsim(t *testing.T) {
	a := detsimProgress(t, 1, 1000, 10*time.Millisecond)
	if b := detsimProgress(t, 1, 1000, 10*time.Millisecond); a != b {
		t.Fatalf("seed 1 took %v, then %v", a, b)
	}
	if a < 50*time.Millisecond || a > 5*time.Second {
		t.Fatalf("1000 proposals took %v of virtual time", a)
	}
}

// BenchmarkVersusRealTime does rafttest's TestBasicProgress work under
// detsim and in real time, side by side in each iteration, for several
// proposal counts and one-way latencies, and reports the ratio of their
// wall times (speedup; speedup-cpu divides by detsim's CPU time instead)
// and detsim's virtual time over its wall time.
func BenchmarkVersusRealTime(b *testing.B) {
	for _, proposals := range []int{100, 1000, 5000} {
		for _, latency := range []time.Duration{time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond} {
			b.Run(fmt.Sprintf("proposals=%d/latency=%v", proposals, latency), func(b *testing.B) {
				var sim, real, virtual time.Duration
				var cpu float64
				for i := range b.N {
					runtime.GC() // neither side pays for the other's garbage
					start, cpu0 := time.Now(), cpuSeconds()
					virtual += detsimProgress(b, uint64(i+1), proposals, latency)
					sim += time.Since(start)
					cpu += cpuSeconds() - cpu0
					runtime.GC()
					real += realTimeProgress(b, proposals, latency)
				}
				n := float64(b.N)
				b.ReportMetric(float64(sim.Microseconds())/1000/n, "detsim-ms/run")
				b.ReportMetric(1000*cpu/n, "detsim-cpu-ms/run")
				b.ReportMetric(float64(real.Microseconds())/1000/n, "realtime-ms/run")
				b.ReportMetric(real.Seconds()/sim.Seconds(), "speedup")
				b.ReportMetric(real.Seconds()/cpu, "speedup-cpu")
				b.ReportMetric(virtual.Seconds()/sim.Seconds(), "x-real-time")
			})
		}
	}
}

// BenchmarkVersusRafttest runs etcd's own go.etcd.io/raft/v3/rafttest
// TestBasicProgress (100 proposals; its network sleeps 0-10ms per message)
// as a child process, and the same work under detsim, side by side in each
// iteration. rafttest's harness is unexported, so it cannot be driven from
// here: the test binary is built once, in a scratch module (rafttest needs
// testify, which this module does not depend on), through the go command
// and the module proxy; the benchmark is skipped if that fails.
func BenchmarkVersusRafttest(b *testing.B) {
	bin := buildRafttest(b)
	var sim, real time.Duration
	for i := range b.N {
		runtime.GC()
		start := time.Now()
		detsimProgress(b, uint64(i+1), 100, 10*time.Millisecond)
		sim += time.Since(start)
		start = time.Now()
		out, err := exec.Command(bin, "-test.run", "^TestBasicProgress$", "-test.count", "1").CombinedOutput()
		real += time.Since(start)
		if err != nil {
			b.Fatalf("rafttest: %v\n%s", err, out)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(sim.Microseconds())/1000/n, "detsim-ms/run")
	b.ReportMetric(float64(real.Microseconds())/1000/n, "rafttest-ms/run")
	b.ReportMetric(real.Seconds()/sim.Seconds(), "speedup")
}

func buildRafttest(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "rafttest.test")
	mod := "module rafttestbench\n\ngo 1.23\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{
		{"get", "go.etcd.io/raft/v3/rafttest@v3.6.0"},
		{"test", "-c", "-o", bin, "go.etcd.io/raft/v3/rafttest"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Skipf("cannot build etcd's rafttest (go %v): %v\n%s", args, err, out)
		}
	}
	return bin
}
