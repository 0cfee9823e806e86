package scenarios

import "github.com/detsim/detsim/internal/jsondur"

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s", "300ms"), so that a spec stays readable. It also accepts
// a number of nanoseconds. The system configurations inside a scenario use
// the same form.
type Duration = jsondur.Duration
