package checker

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// genRegister makes a linearizable history of one register shaped like
// Jepsen's etcd runs, which porcupine's own tests replay: values 0 to 4,
// reads, writes and compare-and-sets, a few concurrent processes. An
// operation stays pending with probability pendingRatio (its effect taken
// or not at random), and its process is then replaced by a new one, as
// Jepsen replaces a process whose operation timed out.
func genRegister(seed uint64, n, procs int, pendingRatio float64) *History[RegisterInput, RegisterOutput] {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	type planned struct {
		client          int
		in              RegisterInput
		call, lin, ret  time.Duration
		pending, effect bool
		out             RegisterOutput
	}
	us := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo)) * time.Microsecond }
	ops := make([]planned, 0, n)
	free := make([]time.Duration, procs) // when each process is next idle
	ids := make([]int, procs)            // its current client id
	for p := range ids {
		ids[p] = p
	}
	next := procs
	for len(ops) < n {
		p := rng.IntN(procs)
		op := planned{client: ids[p], call: free[p] + us(0, 200)}
		v := strconv.Itoa(rng.IntN(5))
		switch r := rng.IntN(100); {
		case r < 50:
			op.in = RegisterInput{Kind: RegisterRead}
		case r < 75:
			op.in = RegisterInput{Kind: RegisterWrite, Value: v}
		default:
			op.in = RegisterInput{Kind: RegisterCAS, Want: strconv.Itoa(rng.IntN(5)), Value: v}
		}
		op.lin = op.call + us(1, 300)
		op.ret = op.lin + us(1, 300)
		op.effect = true
		if rng.Float64() < pendingRatio {
			op.pending, op.effect = true, rng.IntN(2) == 0
			ids[p], next = next, next+1
		}
		free[p] = op.ret
		ops = append(ops, op)
	}
	byLin := make([]int, len(ops))
	for i := range byLin {
		byLin[i] = i
	}
	slices.SortFunc(byLin, func(a, b int) int { return int(ops[a].lin - ops[b].lin) })
	state := ""
	for _, i := range byLin {
		op := &ops[i]
		if !op.effect {
			continue
		}
		switch op.in.Kind {
		case RegisterRead:
			op.out.Value = state
		case RegisterWrite:
			state = op.in.Value
		case RegisterCAS:
			if state == op.in.Want {
				state, op.out.OK = op.in.Value, true
			}
		}
	}
	slices.SortFunc(ops, func(a, b planned) int { return int(a.call - b.call) })
	h := &History[RegisterInput, RegisterOutput]{}
	for _, op := range ops {
		id := h.Invoke(op.client, op.in, op.call)
		if !op.pending {
			h.Complete(id, op.out, op.ret)
		}
	}
	return h
}

// registerPorcupine is RegisterModel written directly for porcupine, as
// its own tests write their models: a pending operation's output is
// unknown and any step from it is allowed.
type registerOut struct {
	out   RegisterOutput
	known bool
}

var registerPorcupine = porcupine.Model{
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in, out := state.(string), input.(RegisterInput), output.(registerOut)
		switch in.Kind {
		case RegisterRead:
			return !out.known || out.out.Value == s, s
		case RegisterWrite:
			return true, in.Value
		case RegisterCAS:
			swapped := s == in.Want
			if !out.known {
				if swapped {
					return true, in.Value
				}
				return true, s
			}
			if swapped != out.out.OK {
				return false, s
			}
			if swapped {
				return true, in.Value
			}
			return true, s
		}
		return false, s
	},
	Hash: func(state interface{}) uint64 { return fnv64(fnvOffset, state.(string)) },
}

func registerOperations(h *History[RegisterInput, RegisterOutput]) []porcupine.Operation {
	var ops []porcupine.Operation
	for _, op := range h.Ops() {
		ret := int64(op.Return)
		if op.Status == OpPending {
			ret = 1<<63 - 1
		}
		ops = append(ops, porcupine.Operation{
			ClientId: op.Client, Input: op.In, Call: int64(op.Call),
			Output: registerOut{out: op.Out, known: op.Status == OpCompleted}, Return: ret,
		})
	}
	return ops
}

// BenchmarkCheckRegisterVsPorcupine checks one 5,000-operation register
// history, recorded-style, twice per iteration: with Check, and with
// porcupine alone on the same operations, converted beforehand. The
// check/porcupine metric is the ratio of their wall times, and
// check/porcupine-cpu that of their CPU times (getrusage), which a loaded
// machine moves far less; the goal is at most 1.1.
func BenchmarkCheckRegisterVsPorcupine(b *testing.B) {
	h := genRegister(1, 5_000, 5, 0.02)
	ops := registerOperations(h)
	var ours, theirs, oursCPU, theirsCPU time.Duration
	for i := 0; i < b.N; i++ {
		start, cpu := time.Now(), cpuTime(b)
		res := Check(RegisterModel(), h, CheckOptions{Workers: 1})
		ours += time.Since(start)
		oursCPU += cpuTime(b) - cpu
		if res.Verdict != Ok {
			b.Fatalf("Check: verdict %v, want Ok:\n%v", res.Verdict, res)
		}
		start, cpu = time.Now(), cpuTime(b)
		ok := porcupine.CheckOperations(registerPorcupine, ops)
		theirs += time.Since(start)
		theirsCPU += cpuTime(b) - cpu
		if !ok {
			b.Fatal("porcupine: not linearizable, want linearizable")
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(ours.Microseconds())/1000/n, "check-ms")
	b.ReportMetric(float64(theirs.Microseconds())/1000/n, "porcupine-ms")
	b.ReportMetric(float64(ours)/float64(theirs), "check/porcupine")
	b.ReportMetric(float64(oursCPU.Microseconds())/1000/n, "check-cpu-ms")
	b.ReportMetric(float64(theirsCPU.Microseconds())/1000/n, "porcupine-cpu-ms")
	b.ReportMetric(float64(oursCPU)/float64(theirsCPU), "check/porcupine-cpu")
}

// cpuTime is the CPU time the process has used, every thread included (the
// collector's too).
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
