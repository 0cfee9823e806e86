package checker

import (
	"bytes"
	"io"
	"reflect"
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

// Outlines are the summaries of every kind of operation (completed,
// unobserved, pending, failed) with the texts left out, and a history
// that cannot outline gives its summaries whole.
func TestOutlinesAreSummariesWithoutTheirTexts(t *testing.T) {
	var h History[KVInput, KVOutput]
	put := h.Invoke(1, KVInput{Kind: KVPut, Key: "x", Value: "1"}, 0)
	h.Complete(put, KVOutput{OK: true}, 5)
	get := h.Invoke(2, KVInput{Kind: KVGet, Key: "x"}, 6)
	h.Complete(get, KVOutput{Value: "1", Found: true}, 9)
	h.Invoke(3, KVInput{Kind: KVPut, Key: "y", Value: "2"}, 10)
	failed := h.Invoke(1, KVInput{Kind: KVAppend, Key: "y", Value: "3"}, 11)
	h.Fail(failed)
	unseen := h.Invoke(2, KVInput{Kind: KVDelete, Key: "x"}, 12)
	h.CompleteUnobserved(unseen, 14)
	rec := RecordedKV(&h)
	full, outlines := rec.Summaries(), Outlines(rec)
	if len(full) != 5 || len(outlines) != len(full) {
		t.Fatalf("%d summaries, %d outlines", len(full), len(outlines))
	}
	for i := range full {
		if full[i].Text == "" {
			t.Fatalf("summary %d has no text: %+v", i, full[i])
		}
		want := full[i]
		want.Text = ""
		if outlines[i] != want {
			t.Fatalf("outline %d is %+v, want %+v", i, outlines[i], want)
		}
	}
	if got := Outlines(summariesOnly{rec}); !reflect.DeepEqual(got, full) {
		t.Fatalf("a history without Outlines: %+v, want its summaries %+v", got, full)
	}
}

// summariesOnly hides every method of a Recorded history but Recorded's.
type summariesOnly struct{ Recorded }
