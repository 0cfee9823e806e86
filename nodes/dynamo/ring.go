package dynamo

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/detsim/detsim/sim"
)

// Ring is consistent hashing with virtual nodes: every server owns Vnodes
// tokens on a 64-bit circle, and a key belongs to the range that ends at
// the first token at or after its hash. A range's preference list is the
// distinct servers met walking clockwise from it; its first N are the
// key's primary replicas, and the rest stand in for them under sloppy
// quorums.
type Ring struct {
	tokens []token
	// prefs[r] is range r's walk over every distinct server.
	prefs   [][]sim.HostID
	servers []sim.HostID
}

type token struct {
	pos   uint64
	owner sim.HostID
}

// NewRing places vnodes tokens for each server.
func NewRing(servers []sim.HostID, vnodes int) (*Ring, error) {
	if len(servers) == 0 {
		return nil, fmt.Errorf("dynamo: a ring needs at least one server")
	}
	if vnodes < 1 {
		return nil, fmt.Errorf("dynamo: vnodes must be at least 1 (is %d)", vnodes)
	}
	r := &Ring{servers: slices.Clone(servers), tokens: make([]token, 0, len(servers)*vnodes)}
	slices.Sort(r.servers)
	var name []byte
	for _, s := range r.servers {
		for v := 0; v < vnodes; v++ {
			// "server/<s>/vnode/<v>"
			name = append(name[:0], "server/"...)
			name = strconv.AppendInt(name, int64(s), 10)
			name = append(name, "/vnode/"...)
			name = strconv.AppendInt(name, int64(v), 10)
			r.tokens = append(r.tokens, token{pos: hash64(name), owner: s})
		}
	}
	slices.SortFunc(r.tokens, func(a, b token) int {
		if c := cmp.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		return cmp.Compare(a.owner, b.owner)
	})
	r.prefs = make([][]sim.HostID, len(r.tokens))
	walks := make([]sim.HostID, 0, len(r.tokens)*len(r.servers))
	for i := range r.tokens {
		start := len(walks)
		for j := 0; j < len(r.tokens) && len(walks)-start < len(r.servers); j++ {
			o := r.tokens[(i+j)%len(r.tokens)].owner
			if !slices.Contains(walks[start:], o) {
				walks = append(walks, o)
			}
		}
		r.prefs[i] = walks[start:len(walks):len(walks)]
	}
	return r, nil
}

// Ranges is the number of key ranges (one per token).
func (r *Ring) Ranges() int { return len(r.tokens) }

// Servers are the ring's servers, sorted.
func (r *Ring) Servers() []sim.HostID { return slices.Clone(r.servers) }

// RangeOf is the range key belongs to.
func (r *Ring) RangeOf(key string) int {
	h := hash64(key)
	// The first token at or after h, by bisection (every request asks).
	lo, hi := 0, len(r.tokens)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.tokens[mid].pos < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo % len(r.tokens)
}

// Walk is range rg's preference list over every server: the first N are
// its primaries. The caller must not change it.
func (r *Ring) Walk(rg int) []sim.HostID { return r.prefs[rg] }

// Preference is key's preference list: its n primary replicas.
func (r *Ring) Preference(key string, n int) []sim.HostID {
	w := r.Walk(r.RangeOf(key))
	return slices.Clone(w[:min(n, len(w))])
}

// hash64 is FNV-1a followed by a 64-bit finaliser, so nearby names land far
// apart on the ring. It hashes bytes as it hashes the string of them,
// without the string.
func hash64[T string | []byte](s T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
