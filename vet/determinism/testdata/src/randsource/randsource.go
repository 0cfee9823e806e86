package randsource

import (
	"hash/maphash"    // want `rand: hash/maphash seeds itself at random`
	mrand "math/rand" // want `rand: math/rand's global source is not seeded by the world`
	"math/rand/v2"
)

func planted(xs []int) {
	_ = rand.IntN(3)                                                      // want `rand: rand.IntN draws from the global random source`
	_ = rand.N(10)                                                        // want `rand: rand.N draws from the global random source`
	rand.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] }) // want `rand: rand.Shuffle draws from the global random source`
	r := rand.New(rand.NewPCG(1, 2))
	_ = rand.NewZipf(r, 1.1, 1, 10) // want `rand: rand.NewZipf computes with math.Exp and math.Log`
	_ = r.ExpFloat64()              // want `rand: Rand.ExpFloat64 falls back to math.Exp and math.Log`
	_ = r.NormFloat64()             // want `rand: Rand.NormFloat64 falls back to math.Exp and math.Log`
	_ = mrand.Int()
	_ = maphash.MakeSeed()
}

// clean draws from a stream seeded by the world.
func clean(r *rand.Rand) int {
	s := rand.New(rand.NewChaCha8([32]byte{}))
	return r.IntN(10) + int(r.Int64N(5)) + s.IntN(2) + len(r.Perm(3))
}
