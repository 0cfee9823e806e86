package nodetest

import (
	"encoding/json"
	"reflect"
	"sync"

	simnet "github.com/detsim/detsim/net"
	"github.com/detsim/detsim/sim"
	"github.com/detsim/detsim/system"
)

// A twin of a system is the same system built into a world whose network
// copies every message twice: first by reflection, deep, ignoring the
// message's own Clone, then as usual. In the twin no message shares
// memory with its sender, whatever its Clone does; so a run of the twin
// that parts from the system's own run, body for body, shows memory that
// a Clone shares and a node (sender or receiver) mutates.

var twins struct {
	mu  sync.Mutex
	sys map[*system.System]*system.System
}

// twinOf defines and registers sys's twin once per process.
func twinOf(sys *system.System) (*system.System, error) {
	twins.mu.Lock()
	defer twins.mu.Unlock()
	if t, ok := twins.sys[sys]; ok {
		return t, nil
	}
	var workload func() json.RawMessage
	if sys.HasClients() {
		workload = func() json.RawMessage { return nil }
	}
	twin, err := system.Define(system.Spec[json.RawMessage, json.RawMessage]{
		Name:        sys.Name() + "-deep-copied",
		Description: sys.Description() + " (every message deep-copied)",
		Config:      func() json.RawMessage { return nil },
		Workload:    workload,
		Validate: func(cfg, wl json.RawMessage, shape system.Shape) error {
			c, err := sys.Decode(cfg, wl)
			if err != nil {
				return err
			}
			return c.Validate(shape)
		},
		Build: func(cfg, wl json.RawMessage, c *system.Cluster) (*system.Instance, error) {
			conf, err := sys.Decode(cfg, wl)
			if err != nil {
				return nil, err
			}
			c.World.SetTransport(deepCopier{c.Net})
			return conf.Build(c)
		},
		Promises: sys.Promises(),
		Faults:   sys.Faults(),
		Programs: sys.Programs(),
		Counters: sys.Counters(),
		Steady:   sys.Steady(),
	})
	if err != nil {
		return nil, err
	}
	if err := system.Register(twin); err != nil {
		return nil, err
	}
	if twins.sys == nil {
		twins.sys = map[*system.System]*system.System{}
	}
	twins.sys[sys] = twin
	return twin, nil
}

// deepCopier is the network of a twin: it deep-copies each message
// before the network copies it. It settles held messages as the network
// does, since it is the network.
type deepCopier struct{ *simnet.Network }

func (d deepCopier) Send(from, to sim.HostID, msg any) {
	if msg != nil {
		if c, ok := deepCopy(reflect.ValueOf(msg)); ok {
			msg = c.Interface()
		}
	}
	d.Network.Send(from, to, msg)
}

// deepCopy copies v, sharing nothing mutable with it; ok is false for a
// value it cannot copy (an unexported field holding a reference), which
// only the type's own Clone can.
func deepCopy(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v, true
		}
		elem, ok := deepCopy(v.Elem())
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(elem)
		return p, ok
	case reflect.Interface:
		if v.IsNil() {
			return v, true
		}
		inner, ok := deepCopy(v.Elem())
		out := reflect.New(v.Type()).Elem()
		out.Set(inner)
		return out, ok
	case reflect.Slice:
		if v.IsNil() {
			return v, true
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if flat(v.Type().Elem()) {
			reflect.Copy(out, v)
			return out, true
		}
		ok := true
		for i := 0; i < v.Len(); i++ {
			e, eok := deepCopy(v.Index(i))
			out.Index(i).Set(e)
			ok = ok && eok
		}
		return out, ok
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		ok := true
		for i := 0; i < v.Len(); i++ {
			e, eok := deepCopy(v.Index(i))
			out.Index(i).Set(e)
			ok = ok && eok
		}
		return out, ok
	case reflect.Map:
		if v.IsNil() {
			return v, true
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		ok := true
		iter := v.MapRange() //detsim:maporder fills a fresh map: the copy is the same in every order
		for iter.Next() {
			k, kok := deepCopy(iter.Key())
			e, eok := deepCopy(iter.Value())
			out.SetMapIndex(k, e)
			ok = ok && kok && eok
		}
		return out, ok
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !v.Type().Field(i).IsExported() {
				if !flat(f.Type()) {
					return v, false
				}
				continue
			}
			e, ok := deepCopy(f)
			if !ok {
				return v, false
			}
			out.Field(i).Set(e)
		}
		return out, true
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return v, false
	}
	return v, true
}

// flat reports whether values of t hold no references.
func flat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	case reflect.Array:
		return flat(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !flat(t.Field(i).Type) {
				return false
			}
		}
	}
	return true
}
