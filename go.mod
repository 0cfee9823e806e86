module github.com/detsim/detsim

go 1.23

require (
	github.com/anishathalye/porcupine v1.3.1
	github.com/google/go-cmp v0.7.0
)

require pgregory.net/rapid v1.3.0
