package simrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckTransactionalHistories(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A stale read: serializable, but not in real-time order.
	stale := write("stale.jsonl", `{"process":0,"call":0,"return":10,"kind":"txn","status":"ok","mops":[["append","x",1]]}
{"process":1,"call":20,"return":30,"kind":"txn","status":"ok","mops":[["r","x",null]]}
{"process":2,"call":40,"return":50,"kind":"txn","status":"ok","mops":[["r","x",[1]]]}
`)
	code, out, errOut := simrun(t, "check", "-model", "list-append", stale)
	if code != exitFail || !strings.Contains(out, "G-single-realtime") || !strings.Contains(out, "strict-serializable: Illegal") {
		t.Fatalf("stale read under the default model: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = simrun(t, "check", "-model", "list-append", "-consistency", "serializable", stale)
	if code != exitPass || !strings.Contains(out, "serializable: Ok") {
		t.Fatalf("stale read, serializable: exit %d\n%s%s", code, out, errOut)
	}

	// Jepsen's shape, over registers: write skew.
	skew := write("skew.jsonl", `{"type":"invoke","f":"txn","process":0,"time":0,"value":[["r","x",null],["w","y",1]]}
{"type":"invoke","f":"txn","process":1,"time":1,"value":[["r","y",null],["w","x",1]]}
{"type":"ok","f":"txn","process":0,"time":10,"value":[["r","x",null],["w","y",1]]}
{"type":"ok","f":"txn","process":1,"time":11,"value":[["r","y",null],["w","x",1]]}
`)
	code, out, errOut = simrun(t, "check", "-model", "rw-register", "-consistency", "snapshot-isolation", skew)
	if code != exitPass || !strings.Contains(out, "G2-item") {
		t.Fatalf("write skew under snapshot isolation: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ = simrun(t, "check", "-model", "rw-register", "-consistency", "serializable", skew); code != exitFail {
		t.Fatalf("write skew, serializable: exit %d\n%s", code, out)
	}

	// Jepsen's history.edn as it is: an aborted read.
	edn := write("history.edn", `{:index 0, :time 0, :type :invoke, :process 0, :f :txn, :value [[:append 1 5]]}
{:index 1, :time 5, :type :fail, :process 0, :f :txn, :value [[:append 1 5]], :error [:conflict]}
{:index 2, :time 6, :type :invoke, :process 1, :f :txn, :value [[:r 1 nil]]}
{:index 3, :time 9, :type :ok, :process 1, :f :txn, :value [[:r 1 [5]]]}
`)
	code, out, errOut = simrun(t, "check", "-model", "list-append", "-consistency", "read-committed", edn)
	if code != exitFail || !strings.Contains(out, "G1a: T1 read \"1\" = [5], with 5, appended by T0, which aborted") {
		t.Fatalf("aborted read in EDN: exit %d\n%s%s", code, out, errOut)
	}

	bad := write("bad.jsonl", `{"process":0,"call":0,"return":10,"kind":"txn","status":"ok","mops":[["append","x",1]]}
{"process":0,"call":0,"return":10,"kind":"txn","status":"maybe","mops":[]}
`)
	if code, _, errOut := simrun(t, "check", "-model", "list-append", bad); code != exitUsage || !strings.Contains(errOut, "line 2") {
		t.Fatalf("malformed history: exit %d, %q", code, errOut)
	}
	if code, _, errOut := simrun(t, "check", "-model", "rw-register", stale); code != exitUsage || !strings.Contains(errOut, "append is not a rw-register micro-operation") {
		t.Fatalf("list-append history checked as rw-register: exit %d, %q", code, errOut)
	}
	if code, _, errOut := simrun(t, "check", "-model", "list-append", "-consistency", "linearizable", stale); code != exitUsage || !strings.Contains(errOut, `unknown consistency model "linearizable"`) {
		t.Fatalf("bad consistency: exit %d, %q", code, errOut)
	}
}
