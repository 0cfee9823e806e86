package checker

import "time"

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// kvHistory builds key-value histories tersely in tests.
type kvHistory struct{ *History[KVInput, KVOutput] }

func newKV() kvHistory { return kvHistory{&History[KVInput, KVOutput]{}} }

func (h kvHistory) done(client, call, ret int, in KVInput, out KVOutput) OpID {
	id := h.Invoke(client, in, ms(call))
	h.Complete(id, out, ms(ret))
	return id
}

func (h kvHistory) pending(client, call int, in KVInput) OpID {
	return h.Invoke(client, in, ms(call))
}

func get(k string) KVInput          { return KVInput{Kind: KVGet, Key: k} }
func put(k, v string) KVInput       { return KVInput{Kind: KVPut, Key: k, Value: v} }
func appendKV(k, v string) KVInput  { return KVInput{Kind: KVAppend, Key: k, Value: v} }
func del(k string) KVInput          { return KVInput{Kind: KVDelete, Key: k} }
func cas(k, want, v string) KVInput { return KVInput{Kind: KVCAS, Key: k, Want: want, Value: v} }
func found(v string) KVOutput       { return KVOutput{Value: v, Found: true} }
func value(v string) KVOutput       { return KVOutput{Value: v} }

var (
	notFound = KVOutput{}
	none     = KVOutput{}
	okOut    = KVOutput{OK: true}
	failOut  = KVOutput{}
	existed  = KVOutput{Found: true}
)
