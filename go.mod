module github.com/detsim/detsim

go 1.23

require (
	github.com/anishathalye/porcupine v1.3.1
	github.com/google/go-cmp v0.7.0
	go.etcd.io/raft/v3 v3.6.0
	golang.org/x/tools v0.30.0
	pgregory.net/rapid v1.3.0
)

require (
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	golang.org/x/mod v0.23.0 // indirect
	golang.org/x/sync v0.11.0 // indirect
	google.golang.org/protobuf v1.33.0 // indirect
)
