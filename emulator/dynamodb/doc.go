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
// middle of a write is detected and dropped on replay, and the file is cut
// back to its intact prefix. Records that must land together (an item and
// its stream record, the items of one transaction in one table) are one
// batch record under one CRC: a torn batch is dropped whole. The log is
// rewritten as a compact snapshot (live items and retained stream records)
// at startup and shutdown when more than half of it is garbage, and while
// running when it grows past that. Table definitions are JSON files
// replaced atomically (write, rename).
//
// Transactions. A transaction over one table is one batch record in its
// log. One over several tables takes every table's lock (in name order),
// then writes an intent to the service's transaction log (+transactions.log)
// with a single write(2): the id and, per table, the exact batch record
// that table's log will get. That write is the commit point. Then each
// table's batch is appended, then a done mark for the id, and only then
// are the locks released and the answer sent. At startup, after every table
// log is replayed, each intent without a done mark (the process died in
// between) is completed: its batches are applied again and appended to the
// table logs, and the transaction log is emptied. Applying a batch twice
// is harmless (item records hold whole items; stream records are skipped
// by sequence number), and the completed batch is the last write of each
// of its tables, because the dead transaction still held their locks. So
// whatever instant a kill hits, the transaction is either absent (no
// intent, or a torn one) or wholly present, and acknowledged ones are
// always present. If a write after the intent fails (disk full), the
// transaction stands (it answers InternalServerError) and its tables
// refuse writes until the next start completes it. The transaction log is
// cut back to empty whenever it passes 4 MB with no transaction in flight.
//
// Streams. A stream record is logged in the same batch record as its item,
// so a change and its record are durable together, and replay brings back
// the same sequence numbers (the source continues past the highest seen),
// event ids and timestamps. A stream's label and creation time (from which
// its ARN and shard id derive) and its first sequence number live in the
// table definition, with those of the streams UpdateTable replaced in the
// last 24 h, whose records stay readable. Records go
// after 24 h, on replay and as new ones arrive; each stream also holds at
// most 64 MB of records (they are served from memory), beyond which the
// oldest are trimmed early, as if retention had passed. The streams of a
// deleted table are gone after a restart (DeleteTable removes the log),
// where AWS keeps them readable for 24 h. Compaction keeps each stream's
// trim horizon, so a position before the oldest record left still reads
// as trimmed (TrimmedDataAccessException) after a restart.
//
// Event-source mappings checkpoint the sequence number of the last record
// of each batch they finish (delivered, or discarded after retries) and
// write it through to +stream-checkpoints (write, rename). A restarted
// slsx resumes each configured trigger after its checkpoint, whatever its
// StartingPosition, which only applies to a mapping's first start: records
// already delivered are not delivered again, and records written before the
// trigger is configured again are not skipped. A kill between a successful
// invocation and its checkpoint write delivers that one batch again
// (at-least-once, as on AWS).
//
// A mapping's FilterCriteria patterns are matched against each record as
// the function would receive it; records no pattern matches are skipped
// as processed (the checkpoint moves past them) and a batch left empty
// invokes nothing. A batch is given up when its retries run out or its
// records pass MaximumRecordAge (or the 24 h retention): the records from
// the first failed one on are discarded, and with an on-failure topic the
// AWS invocation record (requestContext, responseContext,
// DDBStreamBatchInfo with the shard, sequence range and arrival times) is
// published to it through the SNS service in-process. With a tumbling
// window, batches never span windows (aligned on the clock, by record
// creation time), the state the function returns is passed to its next
// invocation in the window, and once the window is over a final
// invocation (isFinalInvokeForWindow, no records) gets the state, which is
// then dropped. Window state lives in memory: a restart or a changed
// trigger starts the current window afresh.
package dynamodb
