package wallclock

import (
	"context"
	clock "time"
)

func planted(ctx context.Context) {
	_ = clock.Now()                                     // want `wallclock: time.Now reads the wall clock; use the host's clock`
	clock.Sleep(clock.Millisecond)                      // want `wallclock: time.Sleep sleeps on the wall clock`
	<-clock.After(clock.Second)                         // want `wallclock: time.After is a wall-clock timer` `channel: a receive`
	_ = clock.Since(clock.Time{})                       // want `wallclock: time.Since reads the wall clock`
	_ = clock.NewTicker(clock.Second)                   // want `wallclock: time.NewTicker is a wall-clock ticker`
	now := clock.Now                                    // want `wallclock: time.Now reads the wall clock`
	_, cancel := context.WithTimeout(ctx, clock.Second) // want `wallclock: context.WithTimeout arms a wall-clock timer`
	cancel()
	_ = now
}

// clean uses package time for what it is in simulated code: durations and
// instants handed over by the host.
func clean(start, now clock.Time) clock.Duration {
	d := now.Sub(start) + 3*clock.Millisecond
	return d.Round(clock.Millisecond)
}
