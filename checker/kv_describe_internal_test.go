package checker

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// TestDescribeKVSaysWhatFmtSaid holds the hand-built descriptions to the
// fmt verbs they replace, on any strings and kinds, in range or not.
func TestDescribeKVSaysWhatFmtSaid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := KVInput{
			Kind:  KVKind(rapid.Uint8Range(0, uint8(len(kvKindNames))+1).Draw(t, "kind")),
			Key:   string(rapid.SliceOf(rapid.Byte()).Draw(t, "key")), // not always UTF-8
			Value: rapid.String().Draw(t, "value"),
			Want:  rapid.String().Draw(t, "want"),
		}
		var want string
		switch in.Kind {
		case KVPut, KVAppend:
			want = fmt.Sprintf("%v(%q, %q)", in.Kind, in.Key, in.Value)
		case KVCAS:
			want = fmt.Sprintf("cas(%q, want %q, set %q)", in.Key, in.Want, in.Value)
		default:
			want = fmt.Sprintf("%v(%q)", in.Kind, in.Key)
		}
		if got := describeKVInput(in); got != want {
			t.Fatalf("describeKVInput(%#v) = %s, fmt says %s", in, got, want)
		}
		out := KVOutput{Value: in.Value}
		if got, want := describeKVOutput(KVInput{Kind: KVGet}, out), fmt.Sprintf("not found, %q", in.Value); in.Value != "" && got != want {
			t.Fatalf("describeKVOutput of %#v = %s, fmt says %s", out, got, want)
		}
	})
}
