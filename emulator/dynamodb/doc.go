// Package dynamodb emulates Amazon DynamoDB and DynamoDB Streams on the AWS
// edge: the JSON 1.0 wire protocol (X-Amz-Target dispatch), the control
// plane (tables, indexes, TTL, tags), the data plane (items, Query/Scan,
// batches, transactions, PartiQL), streams with their Lambda event-source
// mappings, and the TTL sweeper.
//
// Storage. Each table keeps its items in an in-memory B-tree ordered by a
// composite key: an 8-byte hash of the partition key, the partition key, then
// the order-preserving encoding of the sort key. All items of a partition are
// therefore contiguous and sorted (Query is a range walk), Scan order is
// stable, and a parallel-scan segment is a contiguous hash range. Items are
// held as their wire JSON bytes: a GetItem answer is a copy, and a 1 KB item
// costs about 1 KB plus a small fixed overhead instead of a tree of Go maps.
// The bytes are the canonical encoding (attr.AppendItemJSON) up to the order
// of object members: PutItem stores its request's bytes when they differ
// from it only in that order, which is how the SDKs send items.
//
// Durability. With a data directory, every committed write is appended to
// the table's log file with a single write(2) while the table lock is held
// and before the response is sent. Once write(2) returns the bytes are in
// the kernel's page cache, which survives the death of the slsx process
// (kill -9, panic); only a crash of the machine itself could lose them, which
// is an acceptable trade for a local emulator, so there is no fsync. Each
// record carries its length and a CRC-32, so a record torn by a kill in the
// middle of a write is detected and dropped on replay. The log is rewritten
// as a compact snapshot (live items only) at startup and shutdown when more
// than half of it is garbage, and while running when it grows past that.
// Table definitions are JSON files replaced atomically (write, rename).
// Stream records live in memory only: a restart starts every stream empty
// (its shard and ARN survive), which local consumers tolerate because the
// event-source mappings run in the same process.
package dynamodb
