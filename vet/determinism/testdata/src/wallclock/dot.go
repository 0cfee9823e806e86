package wallclock

import . "time"

func dotted() Time {
	return Now() // want `wallclock: time.Now reads the wall clock`
}
