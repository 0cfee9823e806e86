package cache

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/detsim/detsim/sim"
)

// Ring shards keys over servers by consistent hashing: each server has
// points on a 64-bit circle, and a key belongs to the server of the first
// point at or after the key's hash, wrapping. Adding or removing a server
// moves only the keys next to its points.
type Ring struct {
	points []ringPoint // sorted by hash, then server
}

type ringPoint struct {
	hash   uint64
	server sim.HostID
}

// NewRing places pointsEach points for each server. The points depend only
// on the server ids, so every node builds the same ring.
func NewRing(servers []sim.HostID, pointsEach int) (*Ring, error) {
	if len(servers) == 0 {
		return nil, fmt.Errorf("cache: a ring needs at least one server")
	}
	if pointsEach < 1 {
		return nil, fmt.Errorf("cache: a ring needs at least one point per server, got %d", pointsEach)
	}
	r := &Ring{}
	for i, s := range servers {
		if slices.Contains(servers[:i], s) {
			return nil, fmt.Errorf("cache: the ring lists server %v twice", s)
		}
		for p := 0; p < pointsEach; p++ {
			// The point's name is "<server>#<p>", hashed where it is
			// written, on the stack.
			var name [48]byte
			b := append(strconv.AppendInt(name[:0], int64(s), 10), '#')
			r.points = append(r.points, ringPoint{hash: hash64(strconv.AppendInt(b, int64(p), 10)), server: s})
		}
	}
	slices.SortFunc(r.points, func(a, b ringPoint) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return int(a.server) - int(b.server)
	})
	return r, nil
}

// Owner is the server that holds key.
func (r *Ring) Owner(key string) sim.HostID {
	h := hash64(key)
	// The first point at or after h, by binary search written out: every
	// cache request asks.
	i, j := 0, len(r.points)
	for i < j {
		if m := int(uint(i+j) >> 1); r.points[m].hash < h {
			i = m + 1
		} else {
			j = m
		}
	}
	if i == len(r.points) {
		i = 0
	}
	return r.points[i].server
}

// hash64 is FNV-1a with a final avalanche (from splitmix64), so that keys
// differing in their last character land far apart on the circle.
func hash64[S string | []byte](s S) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
