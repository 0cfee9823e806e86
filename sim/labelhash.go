package sim

// Every record's label (a message's type, a log line's format) feeds the
// trace hash byte by byte, a chain of dependent multiplications that was
// the costliest part of a record. The byte loop of hashString has a
// shortcut: its XOR with a byte touches only the low byte of the state,
// and the low byte of a product depends only on the low bytes of its
// factors, so for a string s of n bytes and any state h
//
//	loop(h, s) = h*p^n + (loop(h&0xff, s) - (h&0xff)*p^n)   (mod 2^64)
//
// where p is hashPrime: the second term depends on s and the low byte of
// h alone. A LabelHash keeps that term for each low byte it has met, and
// hashes its label with one multiplication and one lookup. A message's
// label comes with its LabelHash (Message.LabelHash: the network keeps
// one per message type, beside what it knows of the type already); other
// labels are found in a small cache of the world's.

// LabelHash is a trace label with the terms that hash it without its
// byte loop, filled in as the states that meet it need them. It gives
// the hash the label gives alone, so whether a record carries one
// changes nothing but the speed. Like a world, it is not safe for
// concurrent use: keep one per world.
type LabelHash struct {
	label string
	mul   uint64 // hashPrime^len(label)
	low   [256]uint64
	known [4]uint64 // bit l: low[l] is filled in
}

// NewLabelHash prepares label's hash.
func NewLabelHash(label string) *LabelHash {
	lh := &LabelHash{label: label, mul: 1}
	for range len(label) {
		lh.mul *= hashPrime
	}
	return lh
}

// Label is the label lh hashes.
func (lh *LabelHash) Label() string { return lh.label }

// hash is hashString(h, lh.label).
func (lh *LabelHash) hash(h uint64) uint64 {
	l := h & 0xff
	if lh.known[l>>6]&(1<<(l&63)) == 0 {
		lh.low[l] = loopString(l, lh.label) - l*lh.mul
		lh.known[l>>6] |= 1 << (l & 63)
	}
	return mix(h*lh.mul+lh.low[l], uint64(len(lh.label)))
}

// labelSlots is the size of a world's cache of labels; a run meets a few
// dozen. A label may sit in either of two neighbouring slots; one that
// finds both taken by others is hashed byte by byte, as before, so that
// two labels never evict each other in turn.
const labelSlots = 128

// hashLabel is hashString(h, s), through the world's cache of labels.
func (w *World) hashLabel(h uint64, s string) uint64 {
	n := len(s)
	i := (uint(n)*31 ^ uint(s[n-1])*7 ^ uint(s[n/2])) % labelSlots
	lh := w.labels[i]
	if lh == nil || lh.label != s {
		if lh = w.labels[i^1]; lh == nil || lh.label != s {
			if lh = w.addLabel(i, s); lh == nil {
				return hashString(h, s)
			}
		}
	}
	return lh.hash(h)
}

// addLabel puts s in slot i or its neighbour, whichever is free, or
// returns nil if neither is.
func (w *World) addLabel(i uint, s string) *LabelHash {
	for _, j := range [2]uint{i, i ^ 1} {
		if w.labels[j] == nil {
			lh := NewLabelHash(s)
			w.labels[j] = lh
			return lh
		}
	}
	return nil
}
