package sim

import (
	"math/rand/v2"
	"strings"
	"testing"

	"pgregory.net/rapid"
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

// A message's LabelHash, a world's cache and the byte loop give one hash
// for every state and label, and a mismatched LabelHash is not used.
func TestALabelHashHashesAsTheByteLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		label := rapid.StringN(1, 40, -1).Draw(t, "label")
		lh := NewLabelHash(label)
		if lh.Label() != label {
			t.Fatalf("Label() = %q, want %q", lh.Label(), label)
		}
		for _, h := range rapid.SliceOfN(rapid.Uint64(), 1, 64).Draw(t, "states") {
			if got, want := lh.hash(h), hashString(h, label); got != want {
				t.Fatalf("hash(%#x) of %q = %#x, byte loop %#x", h, label, got, want)
			}
		}
	})
}

// A run hashes the same whether its messages carry their LabelHash, carry
// another label's, or carry none.
func TestTracedMessagesHashAlikeWithOrWithoutALabelHash(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		labels := rapid.SliceOfN(rapid.StringN(0, 24, -1), 1, 8).Draw(t, "labels")
		picks := rapid.SliceOfN(rapid.IntRange(0, len(labels)-1), 1, 200).Draw(t, "messages")
		hashes := make(map[string]*LabelHash)
		for _, l := range labels {
			hashes[l] = NewLabelHash(l)
		}
		other := NewLabelHash("another label")
		var sums [3]uint64
		for way := range sums {
			w, err := NewWorld(Options{Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range picks {
				m := Message{From: 0, To: 1, ID: uint64(i + 1), Size: i, Label: labels[p]}
				switch way {
				case 1:
					m.LabelHash = hashes[labels[p]]
				case 2:
					m.LabelHash = other
				}
				w.TraceMessage(KindSend, m)
			}
			sums[way] = w.Hash()
		}
		if sums[1] != sums[0] || sums[2] != sums[0] {
			t.Fatalf("hashes: without LabelHash %#x, with %#x, with another label's %#x", sums[0], sums[1], sums[2])
		}
	})
}
