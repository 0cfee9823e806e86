package violations

import (
	crand "crypto/rand"
	"math"
	mrand "math/rand"
	r2 "math/rand/v2"
	clock "time"
)

// A comment that says time.Now() is not a finding.
const s = "time.Sleep(1)"

func bad() {
	_ = clock.Now()
	clock.Sleep(1)
	<-clock.After(1)
	go func() {}()
	ch := make(chan int)
	ch <- 1
	select {}
	_ = r2.IntN(3)
	_ = r2.New(r2.NewPCG(1, 2)) // allowed
	_ = mrand.Int()
	_, _ = crand.Read(nil)
	_ = math.Exp(1)
	_ = math.Sqrt(2) // allowed: correctly rounded everywhere
}
