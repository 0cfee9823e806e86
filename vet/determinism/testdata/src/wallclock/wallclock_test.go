package wallclock

import (
	"testing"
	"time"
)

// Tests drive the simulator from outside it; they are not checked.
func TestTimesItself(t *testing.T) {
	start := time.Now()
	t.Log(time.Since(start))
}
