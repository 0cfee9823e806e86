package sim

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestHashLabelIsHashString(t *testing.T) {
	w, err := NewWorld(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// More labels than the cache holds, so that some are hashed byte by
	// byte, with labels that share slots; every byte value.
	var labels []string
	for range 200 {
		var b strings.Builder
		for range 1 + rng.IntN(40) {
			b.WriteByte(byte(rng.IntN(256)))
		}
		labels = append(labels, b.String())
	}
	labels = append(labels, "dynamo.fetch", "dynamo.fetchReply", "x", "y", "xy", "yx")
	for i := range 50_000 {
		h := rng.Uint64()
		if i%3 == 0 {
			h &^= 0xff // low bytes that repeat
		}
		s := labels[rng.IntN(len(labels))]
		if got, want := w.hashLabel(h, s), hashString(h, s); got != want {
			t.Fatalf("hashLabel(%#x, %q) = %#x, hashString %#x", h, s, got, want)
		}
	}
}

// BenchmarkHashLabel hashes a message type's name into a changing state,
// byte by byte and through the world's cache.
func BenchmarkHashLabel(b *testing.B) {
	w, err := NewWorld(Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	const label = "dynamo.fetchReply"
	b.Run("bytes", func(b *testing.B) {
		h := hashInit
		for range b.N {
			h = hashString(h, label)
		}
		sinkHash = h
	})
	b.Run("cached", func(b *testing.B) {
		h := hashInit
		for range b.N {
			h = w.hashLabel(h, label)
		}
		sinkHash = h
	})
}

var sinkHash uint64
