// Package checker turns histories into verdicts: linearizability (with
// porcupine), transactional anomalies and the consistency models they rule
// out, invariants while a run goes on, convergence of replicas, and the
// staleness of reads.
//
// It imports nothing else of detsim, so it checks histories from real
// systems as readily as from the simulator. Times are time.Duration since
// the start of a run, in true time: never a host's skewed clock.
//
// # Recording a history
//
//  1. A client calls History.Invoke when it sends an operation, with its
//     client number (from 0), the input and the true time.
//  2. When it learns the result, it calls Complete with the output and
//     time. When it knows for certain that the operation did not take
//     effect (refused before any server saw it), it calls Fail: the
//     operation is left out of every check.
//  3. Otherwise (timeout, crash) it does nothing: the operation stays
//     pending, and the checker assumes it may take effect at any time after
//     its call, or never. Marking an operation failed when it might have
//     taken effect can hide a real bug; leaving it pending never can.
//
// # Linearizability
//
// Check(model, history, options) searches for a linearization with
// porcupine and returns a Result: the Verdict (Ok, Illegal, or Unknown when
// the Timeout ran out first; Unknown never passes for Ok), counts of
// operations, pending operations and partitions, and the time spent. On
// Illegal, Result.Failure explains the smallest illegal partition (which
// key, the longest linearizable prefix, the operations that cannot follow
// it), and if CheckOptions.VisualizationPath is set, porcupine's HTML
// visualisation is written there with the run's faults drawn on the same
// timeline.
//
// Models are typed (Model[S, In, Out]): KVModel (get, put, append, delete,
// cas; partitioned by key), RegisterModel (read, write, cas) and BankModel
// (transfers between fixed accounts, reads of every balance). A model of
// one's own needs Init and Step, and Apply if histories have pending
// operations.
//
// # Invariants, convergence, staleness
//
// A Monitor runs registered invariants after every event (Check) or at
// named points (CheckPoint), in registration order, and stays failed at the
// first *Violation, which names the invariant, the event index and the time.
// CheckConvergence compares replica states with go-cmp and names the
// replicas that differ. MeasureStaleness reports how many reads of a
// key-value history were stale and by how much; it assumes each key's
// written values are unique.
//
// # Transactional histories
//
// Histories of transactions over lists (Elle's list-append) or registers
// (rw-register) are checked for the anomalies of Adya's and Elle's
// taxonomy, and for the consistency models they rule out:
//
//  1. A client records each transaction in a TxnHistory: Invoke with its
//     micro-operations (AppendMop, WriteMop, ReadMop), then Complete with
//     the reads' results when it committed, Fail when it certainly
//     aborted, or nothing when it cannot know (TxnInfo: indeterminate).
//     Values must be unique per key across the whole history.
//  2. CheckListAppend(h.Txns(), TxnOptions{}) or CheckRWRegister checks
//     the history; an error means it cannot be checked (a value written
//     twice, a micro-operation the model does not know, a process running
//     two transactions at once) and names the problem.
//  3. The checker infers each key's version order (for lists, the longest
//     read; for registers, only what reads soundly imply), and builds the
//     dependency graph: ww, wr and rw edges between transactions, process
//     order and real-time order (kept O(n) with Elle's frontier).
//  4. It reports, ordered by class and then as the history gives them:
//     G1a, G1b, internal, garbage, duplicate and incompatible-order
//     anomalies, lost updates, and one cycle per strongly connected
//     component (Tarjan's, without recursion) of each class it looks for:
//     G0, G1c, G-single, else G-nonadjacent (anti-dependencies never
//     adjacent), else G2-item, then those needing process or real-time
//     order. A cycle is the one with the fewest anti-dependencies through
//     a first edge, found by breadth-first search.
//  5. TxnResult.Strongest is the strongest model of the chain
//     read-uncommitted < read-committed < snapshot-isolation <
//     repeatable-read < serializable < strong-session-serializable <
//     strict-serializable that no anomaly rules out; Verdict(model) says
//     Ok, Illegal, or Unknown when the G-single or G-nonadjacent search
//     ran out of budget. Snapshot isolation is told apart by the history
//     as Adya's dependency graph shows it: every cycle of a snapshot
//     isolated run has two adjacent anti-dependencies, so G-single,
//     G-nonadjacent and lost updates rule it out and write skew (G2-item)
//     does not. Repeatable read forbids every G2-item; with no predicates
//     in the history, it holds exactly when serializability does.
//
// Indeterminate transactions contribute writes only when a read saw
// them, never reads, and never start a process or real-time edge: the
// checker never assumes one committed unless a read proves it. The same
// history always gives the same anomalies in the same order.
//
// # The JSON Lines history format
//
// ReadKV, ReadRegister, ReadBank and CheckJSONL read histories written by
// anything, one operation per line (WriteKV, WriteRegister and WriteBank
// write them):
//
//	{"process":0,"call":1000,"return":2500,"kind":"put","key":"x","value":"a","output":{}}
//	{"process":1,"call":1200,"return":3000,"kind":"get","key":"x","output":{"found":true,"value":"a"}}
//	{"process":2,"call":1300,"return":null,"kind":"cas","key":"x","want":"a","value":"b"}
//
// Every line has process (the client, an integer >= 0), call (integer
// nanoseconds), return (integer nanoseconds >= call, or null when the
// outcome is unknown) and kind. Then, by model and kind, exactly these
// input fields, all required:
//
//	kv:       get, delete: key       put, append: key, value
//	          cas: key, want, value  (absent keys read as "")
//	register: read: none             write: value    cas: want, value
//	bank:     transfer: from, to, amount (account numbers from 0)
//	          read: none
//
// A completed operation has an output object, which a pending one must not
// have, or null when it returned without its output being observed
// (History.CompleteUnobserved). Its required fields: kv get: found, and value when found; kv
// append: value (the new value); kv delete: found (whether the key
// existed); kv and register cas: ok; register read: value; bank transfer:
// ok; bank read: balances (an array of integers). put and write need only
// {}. Other output fields of the model are allowed and ignored.
//
// A bank file may start with {"kind":"init","balances":[100,100]}, the
// initial balances; otherwise the caller supplies them. Blank lines are
// skipped. Field names match as in encoding/json: a name differing only in
// case ("Call") is taken for the field, and a repeated field keeps its last
// value. Lines may come in any order; operation ids follow line order.
// Anything else is an error naming the line: bad JSON, text that is not
// UTF-8 (which decoding would replace, making different values equal), an unknown field or
// kind, a missing or misplaced field, a return before its call, a line
// longer than MaxLineBytes. The reader streams, so large files only cost
// the memory of their history.
//
// ReadTxns and WriteTxns do the same for transactions, one line per
// transaction with Elle's micro-operations, or Jepsen's op maps, rendered
// as JSON or as the EDN of Jepsen's history.edn:
//
//	{"process":0,"call":1000,"return":2500,"kind":"txn","status":"ok","mops":[["append","x",1],["r","y",[1,2]]]}
//	{"type":"ok","f":"txn","process":0,"time":2500,"value":[["append","x",1],["r","y",[1,2]]]}
//
// docs/HISTORY_FORMAT.md has more.
package checker
