//go:build !unix

package etcdraft_test

// cpuSeconds is not measured here: the speedup-cpu metric reads +Inf.
func cpuSeconds() float64 { return 0 }
