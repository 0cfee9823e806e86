// Package detmath holds the few transcendental functions the simulator needs,
// written so that they give bit-identical results on every machine.
//
// The standard library's math.Exp and math.Log use assembly on some
// architectures, and on amd64 math.Exp takes an FMA path only when the CPU
// has FMA, so the last bit of a result can differ between two machines. A
// latency sampled from a differing bit can round to a different nanosecond,
// and the run diverges. These functions use only +, -, *, / and
// math.Float64bits-style bit manipulation, with explicit float64
// conversions around every product that the compiler could otherwise fuse.
package detmath
