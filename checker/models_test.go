package checker

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestReadHistoryKnowsTheBuiltInModelsAndRegisteredOnes(t *testing.T) {
	var h History[KVInput, KVOutput]
	id := h.Invoke(1, KVInput{Kind: KVPut, Key: "x", Value: "1"}, time.Millisecond)
	h.Complete(id, KVOutput{}, 2*time.Millisecond)
	id = h.Invoke(2, KVInput{Kind: KVGet, Key: "x"}, 3*time.Millisecond)
	h.Complete(id, KVOutput{Value: "2", Found: true}, 4*time.Millisecond)
	var buf bytes.Buffer
	if err := RecordedKV(&h).WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadHistory("kv", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if res := back.Check(CheckOptions{}); res.Verdict != Illegal {
		t.Fatalf("a read of a value never written: %v", res.Verdict)
	}
	if got := back.Summaries(); len(got) != 2 || got[1].Text != `get("x") -> "2"` || got[1].Writes || !got[0].Writes {
		t.Fatalf("summaries %+v", got)
	}

	if err := RegisterHistoryModel("kv-again", func(r io.Reader) (Recorded, error) { return ReadHistory("kv", r) }); err != nil && !strings.Contains(err.Error(), "registered already") {
		t.Fatal(err)
	}
	if err := RegisterHistoryModel("kv", nil); err == nil {
		t.Fatal("kv registered twice")
	}
	if again, err := ReadHistory("kv-again", bytes.NewReader(buf.Bytes())); err != nil || again.Check(CheckOptions{}).Verdict != Illegal {
		t.Fatalf("a registered model: %v", err)
	}
	if _, err := ReadHistory("queue", strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "kv-again") {
		t.Fatalf("an unknown model's error lists the known ones: %v", err)
	}
}
