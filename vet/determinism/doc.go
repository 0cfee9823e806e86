// Package determinism is a go/analysis analyzer for detsim's determinism
// contract: code that runs inside the simulator must give the same run for
// the same seed on every machine. It checks the non-test files of the
// packages it is given; tests drive the simulator from outside and may time
// themselves.
//
// Run it on your own nodes with the detsimvet command:
//
//	go install github.com/detsim/detsim/cmd/detsimvet
//	go vet -vettool=$(command -v detsimvet) ./mynode/...
//
// # The rules
//
// Every report starts with the name of the rule it breaks and ends with the
// way to mend it. Calls are found through type information, so a renamed or
// dot import, a method value or a function value is caught like a call.
//
//  1. wallclock: time.Now, Since, Until, Sleep, After, AfterFunc, NewTimer,
//     NewTicker and Tick, and the context functions that arm timers. A node
//     asks its host: env.Now() and env.After(d).
//  2. goroutine: go statements and sync.WaitGroup.Go. One event runs at a
//     time, to completion.
//  3. channel: channel types, sends, receives, select and ranges over
//     channels. A node reacts to messages and timers instead.
//  4. rand: importing math/rand (v1), crypto/rand or hash/maphash, and every
//     package-level function of math/rand/v2 but the constructors New,
//     NewPCG and NewChaCha8: the rest draw from the global source.
//     rand.NewZipf, Rand.ExpFloat64 and Rand.NormFloat64 are reported too:
//     they compute with math.Exp and math.Log (rule 5).
//  5. math: functions of package math that are not exactly rounded (Exp,
//     Log, Pow, Sin, ...). They are assembly on some architectures and Go
//     that the compiler may fuse on others, so their last bit differs
//     between machines. Sqrt, Floor, Abs, FMA and the other exact functions
//     are clean. detsim's internal/detmath has Exp and Log in plain + - * /.
//  6. maporder: a range over a map (and maps.Keys, maps.Values, maps.All,
//     reflect.Value.MapKeys and MapRange) whose order can reach behaviour.
//     A loop is clean when its effects are provably the same in every order:
//     it only collects into slices whose next use after the loop sorts them
//     (a sort with ties lets the map order through: make the comparison
//     total), adds into integers, sets entries of a map at the range key,
//     deletes entries, defines per-iteration variables and continues, under
//     if statements, calling nothing but conversions and pure builtins, and
//     reading nothing it writes. slices.Sorted(maps.Keys(m)) is clean.
//  7. fma: x*y + z, z + x*y, x*y - z, z - x*y, z += x*y and z -= x*y of
//     floating-point type where the product is not wrapped in an explicit
//     conversion, also when the product reaches the addition through a local
//     variable (t := x*y; r := t + z). The Go spec allows fusing these into
//     one multiply-add, which skips the rounding of the product; gc does so
//     on arm64, ppc64 and s390x and not on amd64, so the same seed computes
//     differently. The fix, float64(x*y) + z, gives the bits amd64 gives
//     today: the spec says an explicit conversion rounds and prevents
//     fusion. Reports carry that fix as a suggested edit.
//
// Products that reach an addition through a function's parameters or
// results, or through memory, are not followed: round a product where it
// is computed when it leaves the expression.
//
// # Reviewed exceptions
//
//  1. A comment "//detsim:RULE REASON" on the line of a report, or on the
//     line before it, accepts that rule's reports there: a map range whose
//     order is harmless in a way the analyzer cannot prove, or the harness
//     timing its own wall time.
//  2. The reason is required: it is what a reviewer reads.
//  3. An annotation that names no rule, gives no reason, or accepts no
//     report is itself reported, so that exceptions do not outlive their
//     code.
package determinism
