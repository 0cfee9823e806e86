package sim

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
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
