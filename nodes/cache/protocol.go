package cache

import (
	"fmt"
	"strconv"
	"strings"
)

// The cache servers' protocol. A client numbers its requests (Req) and
// matches answers by number; a cache server keeps no state per client.

// Get asks a cache server for Key.
type Get struct {
	Req uint64
	Key string
}

// GetReply answers a Get: a hit (Value, Found, Version), or a miss that
// carries a lease Token (0 when leases are off) or tells the client to
// Wait for another client's lease and ask again.
type GetReply struct {
	Req     uint64
	Key     string
	Hit     bool
	Value   string
	Found   bool
	Version uint64
	Token   uint64
	Wait    bool
}

// Set fills Key with what the database said at Version. A reader's fill
// carries the Token its miss got; a writer's update (WriteUpdate) carries
// Token 0 and Update true.
type Set struct {
	Key     string
	Value   string
	Found   bool
	Version uint64
	Token   uint64
	Update  bool
	Req     uint64 // answered by SetReply when Update; fills are not answered
}

// SetReply acknowledges an update.
type SetReply struct{ Req uint64 }

// Delete drops Key and invalidates its lease.
type Delete struct {
	Req uint64
	Key string
}

// DeleteReply acknowledges a Delete.
type DeleteReply struct{ Req uint64 }

// Invalidate is the database's notice that commit Index wrote Value at
// Version of Key. The cache server drops the key's lease, refreshes an
// older entry with the new value, and acknowledges.
type Invalidate struct {
	Index   uint64
	Key     string
	Value   string
	Found   bool
	Version uint64
}

// InvalidateAck acknowledges an Invalidate.
type InvalidateAck struct{ Index uint64 }

// The database answers the key-value requests of package client. Its
// client.Result has no version field, so a get's and a put's Result.Value
// carries the version in front of the value: "<version>:<value>".

func encodeVersioned(version uint64, value string) string {
	var buf [64]byte // on the stack for a short value: the string is the one allocation
	return string(appendVersioned(buf[:0], version, value))
}

// appendVersioned appends encodeVersioned(version, value) to b.
func appendVersioned(b []byte, version uint64, value string) []byte {
	return append(append(strconv.AppendUint(b, version, 10), ':'), value...)
}

func decodeVersioned(s string) (version uint64, value string, err error) {
	v, rest, ok := strings.Cut(s, ":")
	if !ok {
		return 0, "", fmt.Errorf("cache: database answer %q has no version", s)
	}
	version, err = strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("cache: database answer %q: bad version: %v", s, err)
	}
	return version, rest, nil
}
