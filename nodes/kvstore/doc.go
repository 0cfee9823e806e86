// Package kvstore is the replicated state machine of the key-value systems
// that serve package client's protocol: the data, and each client's last
// applied request with its result, so that a retried write takes effect
// once. nodes/raft and nodes/etcdraft replicate it.
//
//  1. A Store changes only by Apply, one committed command at a time, in
//     log order; Read, Duplicate and Stale only look.
//  2. Encode gives equal states equal bytes (keys and clients in order);
//     Decode reads them back, and anything else is ErrDecode.
//  3. Operations have the semantics of checker.KVModel: an absent key
//     reads as "".
package kvstore
