package sim

import (
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// hostName prints a host by its name under %v and %s, and by its number
// under the numeric verbs, so that a log line written with %d still
// reads as it did.
type hostName struct {
	id   HostID
	name string
}

func (h hostName) Format(f fmt.State, verb rune) {
	switch verb {
	case 'd', 'x', 'X', 'o', 'b':
		fmt.Fprintf(f, fmt.FormatString(f, verb), int(h.id))
	default:
		fmt.Fprintf(f, fmt.FormatString(f, 's'), h.name)
	}
}

// namedArgs replaces the host ids among a log line's arguments (and in
// slices of them) with the hosts' names.
func (w *World) namedArgs(args []any) []any {
	var out []any
	for i, a := range args {
		var named any
		switch v := a.(type) {
		case HostID:
			named = hostName{v, w.HostName(v)}
		case []HostID:
			names := make([]hostName, len(v))
			for j, id := range v {
				names[j] = hostName{id, w.HostName(id)}
			}
			named = names
		default:
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = named
	}
	if out == nil {
		return args
	}
	return out
}

var hostIDType = reflect.TypeFor[HostID]()

// appendBody writes a message as fmt's %+v would, except that a host id
// anywhere inside it is written as its host's name (when w knows the
// hosts), and a pointer below the top is followed rather than printed as
// an address, so that the text is the same in every process.
func appendBody(b []byte, body any, w *World) []byte {
	return appendValue(b, reflect.ValueOf(body), w, 0)
}

func appendValue(b []byte, v reflect.Value, w *World, depth int) []byte {
	if !v.IsValid() {
		return append(b, "<nil>"...)
	}
	if v.Type() == hostIDType {
		id := HostID(v.Int())
		if w == nil {
			return append(b, id.String()...)
		}
		return append(b, w.HostName(id)...)
	}
	if depth > 32 {
		return append(b, "..."...)
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case fmt.Formatter, fmt.Stringer, error:
			if v.Kind() != reflect.Pointer || !v.IsNil() {
				return fmt.Appendf(b, "%+v", x)
			}
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "<nil>"...)
		}
		return appendValue(append(b, '&'), v.Elem(), w, depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return append(b, "<nil>"...)
		}
		return appendValue(b, v.Elem(), w, depth+1)
	case reflect.Struct:
		t := v.Type()
		b = append(b, '{')
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, t.Field(i).Name...)
			b = appendValue(append(b, ':'), v.Field(i), w, depth+1)
		}
		return append(b, '}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendValue(b, v.Index(i), w, depth+1)
		}
		return append(b, ']')
	case reflect.Map:
		if v.IsNil() {
			return append(b, "map[]"...)
		}
		keys := v.MapKeys() //detsim:maporder sorted on the next line, as fmt sorts them
		slices.SortFunc(keys, compareKeys)
		b = append(b, "map["...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendValue(b, k, w, depth+1)
			b = appendValue(append(b, ':'), v.MapIndex(k), w, depth+1)
		}
		return append(b, ']')
	case reflect.String:
		return append(b, v.String()...)
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10)
	}
	return fmt.Appendf(b, "%v", v)
}

// compareKeys orders map keys as fmt does for the kinds messages use:
// numbers and strings by value, anything else by its text.
func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp.Compare(a.Int(), b.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cmp.Compare(a.Uint(), b.Uint())
	case reflect.Float32, reflect.Float64:
		return cmp.Compare(a.Float(), b.Float())
	case reflect.String:
		return cmp.Compare(a.String(), b.String())
	case reflect.Bool:
		return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool()))
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendJSONBody writes body as encoding/json does, except that a host id
// in it is its host's name, as a JSON string. Types whose encoding the
// JSON package decides in ways this does not follow (their own
// MarshalJSON or MarshalText, embedded structs, the string, omitzero and
// inline options) keep encoding/json's encoding, numbers and all.
func appendJSONBody(b []byte, body any, w *World) ([]byte, error) {
	v := reflect.ValueOf(body)
	if w == nil || !v.IsValid() || !holdsHostID(v.Type()) {
		enc, err := json.Marshal(body)
		return append(b, enc...), err
	}
	return appendJSONValue(b, v, w)
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	hostIDTypes   sync.Map // reflect.Type -> bool: holdsHostID's answers
)

// holdsHostID reports whether values of t may hold a host id that
// appendJSONValue names. An interface may hold anything, so it may.
func holdsHostID(t reflect.Type) bool {
	if held, ok := hostIDTypes.Load(t); ok {
		return held.(bool)
	}
	hostIDTypes.Store(t, false) // a recursive type meets itself as false
	held := computeHoldsHostID(t)
	hostIDTypes.Store(t, held)
	return held
}

func computeHoldsHostID(t reflect.Type) bool {
	if t == hostIDType {
		return true
	}
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return holdsHostID(t.Elem())
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			return false
		}
		return holdsHostID(t.Key()) || holdsHostID(t.Elem())
	case reflect.Struct:
		held := false
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				return false
			}
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			for _, o := range strings.Split(opts, ",") {
				if o == "string" || o == "omitzero" || o == "inline" {
					return false
				}
			}
			held = held || holdsHostID(f.Type)
		}
		return held
	}
	return false
}

func appendJSONValue(b []byte, v reflect.Value, w *World) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	if v.Type() == hostIDType {
		return appendJSONString(b, w.HostName(HostID(v.Int()))), nil
	}
	if !holdsHostID(v.Type()) {
		enc, err := json.Marshal(v.Interface())
		return append(b, enc...), err
	}
	var err error
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendJSONValue(b, v.Elem(), w)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := 0; i < v.Len() && err == nil; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b, err = appendJSONValue(b, v.Index(i), w)
		}
		return append(b, ']'), err
	case reflect.Map:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		type entry struct {
			key string
			val reflect.Value
		}
		var entries []entry
		iter := v.MapRange() //detsim:maporder the entries are sorted by key before they are written
		for iter.Next() {
			k := iter.Key()
			var key string
			switch {
			case k.Type() == hostIDType:
				key = w.HostName(HostID(k.Int()))
			case k.Kind() == reflect.String:
				key = k.String()
			case k.CanInt():
				key = strconv.FormatInt(k.Int(), 10)
			default:
				key = strconv.FormatUint(k.Uint(), 10)
			}
			entries = append(entries, entry{key, iter.Value()})
		}
		slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
		b = append(b, '{')
		for i, e := range entries {
			if err != nil {
				break
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, e.key), ':')
			b, err = appendJSONValue(b, e.val, w)
		}
		return append(b, '}'), err
	case reflect.Struct:
		t := v.Type()
		b = append(b, '{')
		first := true
		for i := 0; i < t.NumField() && err == nil; i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if slices.Contains(strings.Split(opts, ","), "omitempty") && emptyJSON(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(appendJSONString(b, name), ':')
			b, err = appendJSONValue(b, fv, w)
		}
		return append(b, '}'), err
	}
	enc, err := json.Marshal(v.Interface())
	return append(b, enc...), err
}

// emptyJSON is encoding/json's test for omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
