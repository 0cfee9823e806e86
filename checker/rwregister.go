package checker

import (
	"fmt"
	"time"
)

// CheckRWRegister checks a history of transactions over registers
// (Elle's rw-register): micro-operations write a value to a key, or read
// it (nil until the first write). Each value must be written to a key at
// most once; reads of ok transactions carry what they saw.
//
// A register's writes leave no trace of their order in later reads, so
// the version order is only what can be inferred soundly: the initial nil
// comes before every write, and a transaction that read a version and then
// wrote the key installed the next version after it. Blind writes that no
// read orders stay unordered, so cycles through them (a G0 of blind
// writes, a lost update between them) go unseen; list-append histories
// have no such blind spot. So does, to keep the graph O(n), what reads of
// nil imply on a key with both thousands of them and thousands of
// unordered writers.
func CheckRWRegister(txns []Txn, opts TxnOptions) (TxnResult, error) {
	start := time.Now()
	if err := validateTxns(txns, "rw-register", MopWrite, MopRead); err != nil {
		return TxnResult{}, err
	}
	rr := &rwRegister{txns: txns, keyIndex: map[string]int32{}, writer: map[listElem]regWrite{}, readers: map[listElem][]int32{}}
	rr.an = txnAnalysis{txns: txns, inGraph: make([]bool, len(txns)), explain: rr.explain}
	if err := rr.index(); err != nil {
		return TxnResult{}, err
	}
	rr.reads()
	rr.lostUpdates()
	rr.dependencies()
	return rr.an.finish(opts, start), nil
}

type regWrite struct {
	txn   int32
	final bool // the transaction's last write to the key
}

// regAccess is a committed transaction's first access to a key, when it
// was a read (an external read), and its last write to the key.
type regAccess struct {
	txn       int32
	key       int32
	read      bool // the first access was a read
	found     bool
	value     int // read, when found
	wrote     bool
	lastWrite int
}

type rwRegister struct {
	txns     []Txn
	keys     []string
	keyIndex map[string]int32
	writer   map[listElem]regWrite // (key, value) -> who wrote it
	readers  map[listElem][]int32  // (key, value) -> committed external readers
	accesses []regAccess           // in history order
	an       txnAnalysis
}

func (rr *rwRegister) key(k string) int32 {
	if i, ok := rr.keyIndex[k]; ok {
		return i
	}
	i := int32(len(rr.keys))
	rr.keys = append(rr.keys, k)
	rr.keyIndex[k] = i
	return i
}

func (rr *rwRegister) anomaly(a Anomaly) { rr.an.anomalies = append(rr.an.anomalies, a) }

// index records every write, and each committed transaction's accesses,
// checking its reads against its own earlier reads and writes.
func (rr *rwRegister) index() error {
	for ti := range rr.txns {
		t := &rr.txns[ti]
		if t.Status == TxnOK {
			rr.an.inGraph[ti] = true
		}
		first := len(rr.accesses)
		for mi, m := range t.Mops {
			k := rr.key(m.Key)
			var acc *regAccess
			for i := first; i < len(rr.accesses); i++ {
				if rr.accesses[i].key == k {
					acc = &rr.accesses[i]
				}
			}
			if m.Kind == MopWrite {
				e := listElem{k, m.Value}
				if prev, dup := rr.writer[e]; dup {
					who := fmt.Sprintf("T%d and T%d both write", rr.txns[prev.txn].ID, t.ID)
					if prev.txn == int32(ti) {
						who = fmt.Sprintf("T%d writes", t.ID)
					}
					return fmt.Errorf("checker: %s %d to %q: rw-register needs each value written to a key once", who, m.Value, m.Key)
				}
				if acc != nil && acc.wrote {
					w := rr.writer[listElem{k, acc.lastWrite}]
					w.final = false
					rr.writer[listElem{k, acc.lastWrite}] = w
				}
				rr.writer[e] = regWrite{txn: int32(ti), final: true}
				if acc == nil {
					rr.accesses = append(rr.accesses, regAccess{txn: int32(ti), key: k})
					acc = &rr.accesses[len(rr.accesses)-1]
				}
				acc.wrote, acc.lastWrite = true, m.Value
				continue
			}
			if t.Status != TxnOK {
				continue
			}
			if m.List != nil {
				return fmt.Errorf("checker: T%d, micro-operation %d: a read of %q returned a list; rw-register reads return an integer or nil", t.ID, mi, m.Key)
			}
			if acc == nil {
				rr.accesses = append(rr.accesses, regAccess{txn: int32(ti), key: k, read: true, found: m.Found, value: m.Value})
				continue
			}
			// A later read must see what the transaction last wrote or read.
			wantFound, want, did := acc.found, acc.value, "read"
			if acc.wrote {
				wantFound, want, did = true, acc.lastWrite, "written"
			}
			if m.Found != wantFound || m.Found && m.Value != want {
				rr.anomaly(Anomaly{Class: Internal, Txns: []TxnID{t.ID}, Key: m.Key, Explanation: fmt.Sprintf(
					"internal: T%d read %q = %s, but it had %s %s", t.ID, m.Key, showRegister(m.Found, m.Value), did, showRegister(wantFound, want))})
			}
		}
	}
	return nil
}

func showRegister(found bool, v int) string {
	if !found {
		return "nil"
	}
	return fmt.Sprint(v)
}

// reads checks each external read against the write it saw.
func (rr *rwRegister) reads() {
	for _, a := range rr.accesses {
		if !a.read || !a.found {
			continue
		}
		t := &rr.txns[a.txn]
		key := rr.keys[a.key]
		e := listElem{a.key, a.value}
		w, ok := rr.writer[e]
		if !ok {
			rr.anomaly(Anomaly{Class: GarbageRead, Txns: []TxnID{t.ID}, Key: key, Explanation: fmt.Sprintf(
				"garbage-read: T%d read %q = %d, which no transaction wrote", t.ID, key, a.value)})
			continue
		}
		wt := &rr.txns[w.txn]
		if w.txn == a.txn {
			rr.anomaly(Anomaly{Class: Internal, Txns: []TxnID{t.ID}, Key: key, Explanation: fmt.Sprintf(
				"internal: T%d read %q = %d before writing it itself", t.ID, key, a.value)})
			continue
		}
		switch wt.Status {
		case TxnFailed:
			rr.anomaly(Anomaly{Class: G1a, Txns: []TxnID{t.ID, wt.ID}, Key: key, Explanation: fmt.Sprintf(
				"G1a: T%d read %q = %d, written by T%d, which aborted", t.ID, key, a.value, wt.ID)})
			continue
		case TxnInfo:
			rr.an.inGraph[w.txn] = true
		}
		if !w.final {
			rr.anomaly(Anomaly{Class: G1b, Txns: []TxnID{t.ID, wt.ID}, Key: key, Explanation: fmt.Sprintf(
				"G1b: T%d read %q = %d, which T%d wrote and then overwrote itself", t.ID, key, a.value, wt.ID)})
		}
		rr.readers[e] = append(rr.readers[e], a.txn)
	}
}

// dependencies adds wr edges from each write to its readers, and the
// version order that can be inferred soundly: nil before every write, and
// a read version before the write that followed it in one transaction.
func (rr *rwRegister) dependencies() {
	edges := &rr.an.edges
	// A read of nil precedes every write of the key. It needs an edge only
	// to the first writers of the known version order: a writer that read
	// a committed version first follows that version's writer (ww), and
	// is reached through it. A key with so many of both that linking them
	// would cost more than the rest of the graph is left unlinked.
	first := make([][]regAccess, len(rr.keys)) // by key
	nilReaders := make([][]int32, len(rr.keys))
	for _, a := range rr.accesses {
		switch {
		case a.read && !a.found:
			nilReaders[a.key] = append(nilReaders[a.key], a.txn)
		case !a.wrote || !rr.an.inGraph[a.txn]:
		case a.read && rr.committedWriter(a.key, a.value):
		default:
			first[a.key] = append(first[a.key], a)
		}
	}
	for k, readers := range nilReaders {
		if len(readers)*len(first[k]) > 8*(len(readers)+len(first[k]))+1024 {
			continue
		}
		for _, r := range readers {
			for _, w := range first[k] {
				*edges = append(*edges, depEdge{from: r, to: w.txn, kind: DepRW, initial: true, key: int32(k), b: w.lastWrite})
			}
		}
	}
	for _, a := range rr.accesses {
		if !a.read || !a.found {
			continue
		}
		w, ok := rr.writer[listElem{a.key, a.value}]
		if !ok || rr.txns[w.txn].Status == TxnFailed {
			continue
		}
		*edges = append(*edges, depEdge{from: w.txn, to: a.txn, kind: DepWR, key: a.key, a: a.value})
		if !a.wrote {
			continue
		}
		// The transaction read a.value, then wrote the next version.
		*edges = append(*edges, depEdge{from: w.txn, to: a.txn, kind: DepWW, key: a.key, a: a.value, b: a.lastWrite})
		for _, r := range rr.readers[listElem{a.key, a.value}] {
			if r != a.txn {
				*edges = append(*edges, depEdge{from: r, to: a.txn, kind: DepRW, key: a.key, a: a.value, b: a.lastWrite})
			}
		}
	}
}

// committedWriter says whether a transaction that did not abort wrote v
// to key k.
func (rr *rwRegister) committedWriter(k int32, v int) bool {
	w, ok := rr.writer[listElem{k, v}]
	return ok && rr.txns[w.txn].Status != TxnFailed
}

func (rr *rwRegister) explain(e depEdge) string {
	from, to := rr.txns[e.from].ID, rr.txns[e.to].ID
	key := rr.keys[e.key]
	switch e.kind {
	case DepWW:
		return fmt.Sprintf("T%d read %q = %d, written by T%d, then wrote %d", to, key, e.a, from, e.b)
	case DepWR:
		return fmt.Sprintf("T%d read %q = %d, which T%d wrote", to, key, e.a, from)
	case DepRW:
		if e.initial {
			return fmt.Sprintf("T%d read %q = nil, so before T%d wrote %d", from, key, to, e.b)
		}
		return fmt.Sprintf("T%d read %q = %d, which T%d overwrote with %d", from, key, e.a, to, e.b)
	}
	return e.kind.String()
}

// lostUpdates reports each version that two or more committed
// transactions read and then overwrote.
func (rr *rwRegister) lostUpdates() {
	type version struct {
		key   int32
		found bool
		value int
	}
	writers := map[version][]int32{}
	var versions []version // in order of first sight
	for _, a := range rr.accesses {
		if !a.read || !a.wrote {
			continue
		}
		v := version{a.key, a.found, a.value}
		if _, ok := writers[v]; !ok {
			versions = append(versions, v)
		}
		writers[v] = append(writers[v], a.txn)
	}
	for _, v := range versions {
		ws := writers[v]
		if len(ws) < 2 {
			continue
		}
		an := Anomaly{Class: LostUpdate, Key: rr.keys[v.key]}
		for _, w := range ws {
			an.Txns = append(an.Txns, rr.txns[w].ID)
		}
		an.Explanation = fmt.Sprintf("lost-update: %s all read %q = %s and then wrote it", txnList(an.Txns), rr.keys[v.key], showRegister(v.found, v.value))
		rr.anomaly(an)
	}
}
