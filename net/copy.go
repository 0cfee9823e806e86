package net

import (
	"fmt"
	"reflect"

	"github.com/detsim/detsim/sim"
)

// Cloner lets a message type copy itself faster than the reflective deep
// copy the network otherwise makes. Clone must return a value that shares
// nothing mutable with the receiver.
type Cloner interface {
	Clone() any
}

// Immutable marks a message type whose values nobody changes once they are
// made: not the sender after it sends one, not the receiver, not anyone who
// shares what its slices, maps or pointers reach. The network then delivers
// the value as the sender passed it, as it does flat types, and neither
// copies it nor calls its Clone; its size is its Sizer's, or else its
// type's alone. It is a promise the type's package keeps
// (Raft's AppendEntries shares its leader's log, which never rewrites an
// entry it once held); the network cannot check it.
type Immutable interface {
	ImmutableMessage()
}

var (
	immutableType = reflect.TypeFor[Immutable]()
	sizerType     = reflect.TypeFor[Sizer]()
)

// Sizer lets a message say how many bytes it would take on the wire. Without
// it the network estimates the size from the value.
type Sizer interface {
	Size() int
}

// typeInfo caches, per message type, what the copier needs to know.
type typeInfo struct {
	name string
	// label hashes name into the trace; nil for the nil message. It is
	// this network's alone, as a LabelHash must be one world's.
	label *sim.LabelHash
	// flat types hold no pointers, slices, maps or interfaces: boxing one
	// in an interface already copied it, so it needs no further copy.
	// Neither do Immutable ones.
	flat  bool
	sizer bool // implements Sizer
	size  int
	err   error // the type cannot be deep-copied (unexported reference field)
}

// typeCacheSize is how many message types info finds without a map
// lookup; a system sends about a dozen.
const typeCacheSize = 64

// typeCacheEntry is one line of a direct-mapped cache in front of
// Network.types.
type typeCacheEntry struct {
	key uintptr
	ti  *typeInfo
}

// info returns what the copier knows of t. The cache is keyed by the
// address of t's runtime type, which is one per type and never moves: a
// map with integer keys finds it faster than one keyed by the interface,
// and a direct-mapped array in front of the map faster still (a map
// lookup was a third of the cost of a send of a flat message). Which
// types share a line changes only the speed.
func (n *Network) info(t reflect.Type) *typeInfo {
	key := reflect.ValueOf(t).Pointer()
	line := &n.recent[(key>>3^key>>9)%typeCacheSize]
	if line.key == key && line.ti != nil {
		return line.ti
	}
	if ti, ok := n.types[key]; ok {
		*line = typeCacheEntry{key, ti}
		return ti
	}
	ti := &typeInfo{name: t.String(), size: int(t.Size()), sizer: t.Implements(sizerType)}
	ti.label = sim.NewLabelHash(ti.name)
	ti.flat = isFlat(t) || t.Implements(immutableType)
	if !ti.flat {
		ti.err = checkCopyable(t, map[reflect.Type]bool{})
	}
	n.types[key] = ti
	*line = typeCacheEntry{key, ti}
	return ti
}

func isFlat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return isFlat(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !isFlat(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

func checkCopyable(t reflect.Type, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return fmt.Errorf("a message cannot carry a %s (%s)", t.Kind(), t)
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return checkCopyable(t.Elem(), seen)
	case reflect.Map:
		if err := checkCopyable(t.Key(), seen); err != nil {
			return err
		}
		return checkCopyable(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !isFlat(f.Type) {
				return fmt.Errorf("message type %s has unexported field %s of type %s, which the network cannot copy: implement net.Cloner", t, f.Name, f.Type)
			}
			if err := checkCopyable(f.Type, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// deepCopy returns a copy of v that shares nothing mutable with it, and the
// number of bytes the copy stands for.
func deepCopy(v reflect.Value) (reflect.Value, int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v, 8
		}
		elem, size := deepCopy(v.Elem())
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(elem)
		return p, size
	case reflect.Interface:
		if v.IsNil() {
			return v, 16
		}
		inner, size := deepCopy(v.Elem())
		out := reflect.New(v.Type()).Elem()
		out.Set(inner)
		return out, size
	case reflect.Slice:
		if v.IsNil() {
			return v, 24
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		size := 24
		if isFlat(v.Type().Elem()) {
			reflect.Copy(out, v)
			size += v.Len() * int(v.Type().Elem().Size())
			if v.Type().Elem().Kind() == reflect.String {
				for i := 0; i < v.Len(); i++ {
					size += v.Index(i).Len()
				}
			}
			return out, size
		}
		for i := 0; i < v.Len(); i++ {
			e, s := deepCopy(v.Index(i))
			out.Index(i).Set(e)
			size += s
		}
		return out, size
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		size := 0
		for i := 0; i < v.Len(); i++ {
			e, s := deepCopy(v.Index(i))
			out.Index(i).Set(e)
			size += s
		}
		return out, size
	case reflect.Map:
		if v.IsNil() {
			return v, 8
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		size := 48
		iter := v.MapRange() //detsim:maporder fills a fresh map and sums sizes: the copy is the same in every order
		for iter.Next() {
			k, ks := deepCopy(iter.Key())
			e, es := deepCopy(iter.Value())
			out.SetMapIndex(k, e)
			size += ks + es
		}
		return out, size
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v) // copies unexported flat fields too
		size := 0
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !v.Type().Field(i).IsExported() {
				size += int(f.Type().Size())
				continue
			}
			e, s := deepCopy(f)
			out.Field(i).Set(e)
			size += s
		}
		return out, size
	case reflect.String:
		return v, 16 + v.Len()
	}
	return v, int(v.Type().Size())
}
