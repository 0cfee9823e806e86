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
	b := make([]byte, 0, len(prefix)+41)
	b = append(b, prefix...)
	b = appendPadded(b, t.Client)
	b = append(b, '.')
	return string(appendPadded(b, t.Seq))
}

// appendPadded appends v in 20 digits, so that keys sort by number.
func appendPadded(b []byte, v uint64) []byte {
	var d [20]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}

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

// Data values and outcomes are written on every commit, so they are
// encoded by hand: a value as varints, an outcome as one byte.

func encodeList(v []int) []byte {
	b := make([]byte, 0, 1+len(v)*5)
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, x := range v {
		b = binary.AppendVarint(b, int64(x))
	}
	return b
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

func outcomeByte(commit bool) []byte {
	if commit {
		return []byte{outcomeCommit}
	}
	return []byte{outcomeAbort}
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
