//go:build unix

package etcdraft_test

import "syscall"

// cpuSeconds is the CPU time this process has used so far, user and
// system, as the kernel counts it. detsim is bound by CPU and the
// real-time harness by its sleeps, so on a loaded machine the ratio of
// real-time wall time to detsim's CPU time says what an idle core would
// show.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
