package twopc

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/detsim/detsim/sim"
)

// Layout on sim.Storage. Every record is JSON; a record's key names its
// transaction, so recovery lists a prefix in sorted order.
//
//	2pc/data/<key>     a shard's committed value of key
//	2pc/prep/<txn>     a shard's PREPARED record: writes, locks, participants
//	2pc/done/<txn>     a shard's outcome of txn ("c" or "a"), written with
//	                   the data it commits, in the same sync
//	2pc/coord/<txn>    the coordinator's decision, forced before it is sent
//	2pc/end/<txn>      every participant acknowledged the commit
//	2pc/acc/<i>/<txn>  acceptor i's promises and accepted values
//	2pc/epoch          a shard's boot count
//	2pc/leader-epoch   Paxos Commit's leader's boot count
//
// Decision and outcome records are never deleted: a run is short, and a
// record kept means a late duplicate can never find the transaction
// forgotten and presume abort.
const (
	prefixData  = "2pc/data/"
	prefixPrep  = "2pc/prep/"
	prefixDone  = "2pc/done/"
	prefixCoord = "2pc/coord/"
	prefixEnd   = "2pc/end/"
	prefixAcc   = "2pc/acc/"
	keyEpoch    = "2pc/epoch"
	keyLeader   = "2pc/leader-epoch"
)

func txnKey(prefix string, t TxnID) string {
	var buf [96]byte // on the stack: the string is the key's one allocation
	return string(appendTxnKey(buf[:0], prefix, t))
}

// txnKeys returns txnKey(prefixA, t) and txnKey(prefixB, t), made in one
// allocation: a transaction's records come in pairs (PREPARED and
// outcome, decision and end).
func txnKeys(prefixA, prefixB string, t TxnID) (a, b string) {
	var buf [192]byte
	both := appendTxnKey(buf[:0], prefixA, t)
	n := len(both)
	s := string(appendTxnKey(both, prefixB, t))
	return s[:n], s[n:]
}

func appendTxnKey(b []byte, prefix string, t TxnID) []byte {
	b = append(b, prefix...)
	b = appendPadded(b, t.Client)
	b = append(b, '.')
	return appendPadded(b, t.Seq)
}

// appendPadded appends v in 20 digits, so that keys sort by number. The
// digits are written two at a time from the right, over zeros, until
// what is left of v is zero: a client's number takes one step, and a
// transaction's sequence number five.
func appendPadded(b []byte, v uint64) []byte {
	d := twentyZeros
	for i := len(d) - 2; v != 0; i -= 2 {
		pair := v % 100 * 2
		d[i], d[i+1] = digitPairs[pair], digitPairs[pair+1]
		v /= 100
	}
	return append(b, d[:]...)
}

var twentyZeros = [20]byte{'0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'}

// digitPairs holds 00 to 99, two bytes each.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

func parseTxnKey(prefix, key string) (TxnID, bool) {
	c, s, ok := strings.Cut(strings.TrimPrefix(key, prefix), ".")
	if !ok {
		return TxnID{}, false
	}
	client, err1 := strconv.ParseUint(c, 10, 64)
	seq, err2 := strconv.ParseUint(s, 10, 64)
	return TxnID{Client: client, Seq: seq}, err1 == nil && err2 == nil
}

func put(st sim.Storage, key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("twopc: encoding %s: %v", key, err))
	}
	st.Set(key, b)
}

// putPrepared writes a PREPARED record, one per transaction and shard,
// in the bytes json.Marshal gives it, encoded by hand into *scratch,
// which Set copies and the caller keeps for the next record.
func putPrepared(st sim.Storage, key string, rec *prepRecord, scratch *[]byte) {
	b, ok := appendPrepRecord((*scratch)[:0], rec)
	*scratch = b
	if ok {
		st.Set(key, b)
		return
	}
	fallback := *rec // so that rec, which json.Marshal would keep, stays on its caller's stack
	put(st, key, &fallback)
}

// putDecision writes the coordinator's decision as putPrepared does.
func putDecision(st sim.Storage, key string, rec *coordRecord, scratch *[]byte) {
	b := append((*scratch)[:0], `{"commit":`...)
	b = strconv.AppendBool(b, rec.Commit)
	b = appendInts(append(b, `,"participants":`...), rec.Participants)
	b = strconv.AppendInt(append(b, `,"client":`...), int64(rec.Client), 10)
	*scratch = append(b, '}')
	st.Set(key, *scratch)
}

// appendPrepRecord appends rec as json.Marshal encodes it, or reports
// false for a key json.Marshal would escape (the caller falls back to it).
func appendPrepRecord(b []byte, rec *prepRecord) ([]byte, bool) {
	b = strconv.AppendUint(append(b, `{"txn":{"Client":`...), rec.Txn.Client, 10)
	b = strconv.AppendUint(append(b, `,"Seq":`...), rec.Txn.Seq, 10)
	b = strconv.AppendInt(append(b, `},"prio":{"Start":`...), int64(rec.Priority.Start), 10)
	b = strconv.AppendUint(append(b, `,"Client":`...), rec.Priority.Client, 10)
	b, ok := appendList(append(b, `},"writes":`...), rec.Writes, func(b []byte, op Op) ([]byte, bool) {
		if !plainJSON(op.Key) {
			return b, false
		}
		b = strconv.AppendUint(append(b, `{"Kind":`...), uint64(op.Kind), 10)
		b = append(append(append(b, `,"Key":"`...), op.Key...), '"')
		b = strconv.AppendInt(append(b, `,"Value":`...), int64(op.Value), 10)
		return append(b, '}'), true
	})
	if !ok {
		return b, false
	}
	b, ok = appendList(append(b, `,"locks":`...), rec.Locks, func(b []byte, l lockReq) ([]byte, bool) {
		if !plainJSON(l.Key) {
			return b, false
		}
		b = append(append(append(b, `{"key":"`...), l.Key...), '"')
		if l.Exclusive {
			b = append(b, `,"x":true`...)
		}
		return append(b, '}'), true
	})
	if !ok {
		return b, false
	}
	b = appendInts(append(b, `,"participants":`...), rec.Participants)
	b = strconv.AppendInt(append(b, `,"client":`...), int64(rec.Client), 10)
	return append(b, '}'), true
}

// appendList appends v as json.Marshal encodes a slice, each element by
// elem; it reports false as soon as an element does.
func appendList[T any](b []byte, v []T, elem func([]byte, T) ([]byte, bool)) ([]byte, bool) {
	if v == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = elem(b, x); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendInts appends v as json.Marshal encodes an []int.
func appendInts(b []byte, v []int) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

// plainJSON reports whether json.Marshal writes s as it is, between
// quotes: printable ASCII without the characters it escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// get decodes the record at key into v; found is false for a missing key.
// A record that cannot be read (torn or corrupted by a storage fault) is
// an error for the caller to report.
func get(st sim.Storage, key string, v any) (found bool, err error) {
	b, err := st.Get(key)
	if errors.Is(err, sim.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("record %s: %v", key, err)
	}
	return true, nil
}

// getDecision is get for a decision record. A record as putDecision
// writes it is read by hand, which json.Unmarshal took ten times as
// long for; anything else goes to get's json.Unmarshal, so a record
// reads the same either way.
func getDecision(st sim.Storage, key string, rec *coordRecord) (found bool, err error) {
	b, err := st.Get(key)
	if errors.Is(err, sim.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if parseDecision(b, rec) {
		return true, nil
	}
	*rec = coordRecord{}
	if err := json.Unmarshal(b, rec); err != nil {
		return false, fmt.Errorf("record %s: %v", key, err)
	}
	return true, nil
}

// parseDecision decodes b into rec if it is exactly what putDecision
// writes, with integers as json.Marshal writes them; it reports false
// for anything else, leaving rec partly written.
func parseDecision(b []byte, rec *coordRecord) bool {
	p := jsonPrefix{b: b}
	switch {
	case p.skip(`{"commit":true`):
		rec.Commit = true
	case p.skip(`{"commit":false`):
		rec.Commit = false
	default:
		return false
	}
	if !p.skip(`,"participants":`) {
		return false
	}
	rec.Participants = nil
	if !p.skip("null") {
		if !p.skip("[") {
			return false
		}
		rec.Participants = []int{}
		for !p.skip("]") {
			if len(rec.Participants) > 0 && !p.skip(",") {
				return false
			}
			v, ok := p.int()
			if !ok {
				return false
			}
			rec.Participants = append(rec.Participants, v)
		}
	}
	if !p.skip(`,"client":`) {
		return false
	}
	client, ok := p.int()
	rec.Client = sim.HostID(client)
	return ok && p.skip("}") && len(p.b) == 0 && int(rec.Client) == client
}

// jsonPrefix reads a JSON text from its start.
type jsonPrefix struct{ b []byte }

// skip consumes s if the text starts with it.
func (p *jsonPrefix) skip(s string) bool {
	if len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// int consumes an integer as json.Marshal writes one (no leading zero,
// no "-0"), of at most 18 digits, so that it cannot overflow.
func (p *jsonPrefix) int() (int, bool) {
	neg := p.skip("-")
	n := 0
	for n < len(p.b) && p.b[n] >= '0' && p.b[n] <= '9' {
		n++
	}
	if n == 0 || n > 18 || p.b[0] == '0' && (n > 1 || neg) {
		return 0, false
	}
	v := 0
	for _, c := range p.b[:n] {
		v = v*10 + int(c-'0')
	}
	p.b = p.b[n:]
	if neg {
		v = -v
	}
	return v, true
}

// Data values and outcomes are written on every commit, so they are
// encoded by hand: a value as varints, an outcome as one byte.

// appendEncodedList appends v's encoding to b.
func appendEncodedList(b []byte, v []int) []byte {
	return appendEncodedElements(binary.AppendUvarint(b, uint64(len(v))), v)
}

func appendEncodedElements(b []byte, v []int) []byte {
	for _, x := range v {
		b = binary.AppendVarint(b, int64(x))
	}
	return b
}

// committed is a shard's committed value of a key, with the record that
// holds it on disk kept encoded, so that an append encodes only what it
// appends.
type committed struct {
	value []int
	// record is value's elements encoded after lengthRoom bytes that
	// encoded writes the length into; nil until the shard first writes
	// the key in this incarnation.
	record   []byte
	storeKey string // prefixData and the key
}

// lengthRoom is room for a list's length as a uvarint.
const lengthRoom = binary.MaxVarintLen64

// encoded is appendEncodedList(nil, c.value), in c.record.
func (c *committed) encoded() []byte {
	var n [lengthRoom]byte
	length := binary.PutUvarint(n[:], uint64(len(c.value)))
	start := lengthRoom - length
	copy(c.record[start:], n[:length])
	return c.record[start:]
}

func decodeList(b []byte) ([]int, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errors.New("bad length")
	}
	b = b[k:]
	v := make([]int, n)
	for i := range v {
		x, k := binary.Varint(b)
		if k <= 0 {
			return nil, errors.New("truncated value")
		}
		v[i], b = int(x), b[k:]
	}
	return v, nil
}

const (
	outcomeCommit = 'c'
	outcomeAbort  = 'a'
)

// The outcome records' values, shared by every Set: Set copies them.
var (
	outcomeCommitted = []byte{outcomeCommit}
	outcomeAborted   = []byte{outcomeAbort}
)

func outcomeByte(commit bool) []byte {
	if commit {
		return outcomeCommitted
	}
	return outcomeAborted
}

// lockReq is one lock a transaction holds or waits for.
type lockReq struct {
	Key       string `json:"key"`
	Exclusive bool   `json:"x,omitempty"`
}

// prepRecord is a participant's PREPARED record: everything it needs to
// finish the transaction after a crash, locks included.
type prepRecord struct {
	Txn          TxnID      `json:"txn"`
	Priority     Priority   `json:"prio"`
	Writes       []Op       `json:"writes"`
	Locks        []lockReq  `json:"locks"`
	Participants []int      `json:"participants"`
	Client       sim.HostID `json:"client"`
}

// coordRecord is the coordinator's forced decision.
type coordRecord struct {
	Commit       bool       `json:"commit"`
	Participants []int      `json:"participants"`
	Client       sim.HostID `json:"client"`
}

// accRecord is an acceptor's state for one transaction.
type accRecord struct {
	Participants []int      `json:"participants"`
	Promised     uint64     `json:"promised"`
	Instances    []Accepted `json:"instances"`
	Client       sim.HostID `json:"client"`
}
