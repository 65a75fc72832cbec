package dynamodb

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// streamRetention is how long stream records stay readable (24 h on AWS).
const streamRetention = 24 * time.Hour

// streamMaxBytes bounds the records one stream holds (they live in memory,
// and in the table log for restarts): past it the oldest records are
// trimmed before their 24 h are up, as if retention had passed. 64 MB is
// tens of thousands of records, far more than a local consumer falls
// behind by.
const streamMaxBytes = 64 << 20

// seqDigits is the minimum width of a sequence number (AWS: 21-40 digits).
const seqDigits = 21

// stream is one DynamoDB stream with its single shard. Records are appended
// under the table lock (so they follow commit order) and read under mu.
type stream struct {
	arn, label, view, table string
	created                 time.Time
	shardID                 string
	key                     keySchema
	startSeq                uint64
	seq                     *seqSource

	mu       sync.Mutex
	recs     []*streamRec
	bytes    int    // record JSON held, against maxBytes
	maxBytes int    // streamMaxBytes; tests lower it
	high     uint64 // highest sequence number ever added
	trimmed  uint64 // highest sequence number dropped by retention
	disabled bool
	endSeq   uint64
	notify   chan struct{} // closed on every append, then replaced
}

type streamRec struct {
	seq   uint64
	at    time.Time
	body  []byte // the Record JSON without userIdentity and closing brace
	trace string
	ttl   bool // a TTL delete, which carries userIdentity
}

// Identity of TTL deletes. The Streams API model names the members
// PrincipalId/Type (what the SDKs parse); the Lambda event, per
// aws-lambda-go's events.DynamoDBUserIdentity, principalId/type.
const (
	ttlIdentityAPI    = `,"userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}`
	ttlIdentityLambda = `,"userIdentity":{"principalId":"dynamodb.amazonaws.com","type":"Service"}`
)

// appendAPI appends the record as GetRecords returns it.
func (r *streamRec) appendAPI(b []byte) []byte {
	b = append(b, r.body...)
	if r.ttl {
		b = append(b, ttlIdentityAPI...)
	}
	return append(b, '}')
}

// seqSource hands out strictly increasing sequence numbers for every
// stream of a service. It starts from the wall clock in microseconds so
// numbers keep increasing across restarts.
type seqSource struct {
	mu   sync.Mutex
	next uint64
}

func newSeqSource() *seqSource { return &seqSource{next: uint64(time.Now().UnixMicro()) * 1000} }

func (q *seqSource) take() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.next++
	return q.next
}

// atLeast moves the source past n, a sequence number read from disk.
func (q *seqSource) atLeast(n uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.next < n {
		q.next = n
	}
}

func (q *seqSource) peek() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.next
}

func seqString(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for len(s) < seqDigits {
		s = "0" + s
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newStream registers a stream. startSeq is the persisted first sequence
// number, or 0 for a new stream.
func newStream(s *Service, t *table, label, view string, created time.Time, startSeq uint64) *stream {
	arn := s.tableARN(t.meta.Name) + "/stream/" + label
	if startSeq == 0 {
		startSeq = s.seq.peek() + 1
	}
	st := &stream{
		arn:     arn,
		label:   label,
		view:    view,
		table:   t.meta.Name,
		created: created,
		// Derived from the stream, so the shard keeps its id across restarts.
		shardID:  fmt.Sprintf("shardId-%020d-%08x", created.UnixMilli(), crc32.ChecksumIEEE([]byte(arn))),
		key:      t.meta.Key,
		seq:      s.seq,
		startSeq: startSeq,
		maxBytes: s.streamMaxBytes,
		notify:   make(chan struct{}),
	}
	s.streamsMu.Lock()
	s.streams[st.arn] = st
	s.streamsMu.Unlock()
	return st
}

// build returns the stream record of one change about to be committed, or
// nil when the change leaves none. oldItem/newItem nil mean absent. Caller
// holds the table lock, so sequence numbers follow commit order.
func (st *stream) build(oldItem attr.Item, existed bool, newItem attr.Item, k keySchema, trace string, ttl bool) *streamRec {
	var name string
	switch {
	case newItem == nil:
		name = "REMOVE"
	case !existed:
		name = "INSERT"
	default:
		if oldItem != nil && attr.Equal(attr.Value{Kind: attr.M, Map: oldItem}, attr.Value{Kind: attr.M, Map: newItem}) {
			return nil // a write that changes nothing leaves no record
		}
		name = "MODIFY"
	}
	src := newItem
	if src == nil {
		src = oldItem
	}
	keys := k.keyItem(src)
	now := time.Now()
	seq := st.seq.take()
	size := attr.ItemSize(keys)
	b := make([]byte, 0, 256)
	b = append(b, `{"awsRegion":`...)
	b = appendJSONString(b, regionOf(st.arn))
	b = append(b, `,"dynamodb":{"ApproximateCreationDateTime":`...)
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, `,"Keys":`...)
	b = attr.AppendItemJSON(b, keys)
	if newItem != nil && (st.view == "NEW_IMAGE" || st.view == "NEW_AND_OLD_IMAGES") {
		b = append(b, `,"NewImage":`...)
		b = attr.AppendItemJSON(b, newItem)
		size += attr.ItemSize(newItem)
	}
	if oldItem != nil && (st.view == "OLD_IMAGE" || st.view == "NEW_AND_OLD_IMAGES") {
		b = append(b, `,"OldImage":`...)
		b = attr.AppendItemJSON(b, oldItem)
		size += attr.ItemSize(oldItem)
	}
	b = append(b, `,"SequenceNumber":"`...)
	b = append(b, seqString(seq)...)
	b = append(b, `","SizeBytes":`...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, `,"StreamViewType":"`...)
	b = append(b, st.view...)
	b = append(b, `"},"eventID":"`...)
	b = append(b, randomHex(16)...)
	b = append(b, `","eventName":"`...)
	b = append(b, name...)
	b = append(b, `","eventSource":"aws:dynamodb","eventVersion":"1.1"`...)
	// The closing brace and userIdentity are added by the reader: the
	// Streams API and the Lambda event spell the identity differently.
	return &streamRec{seq: seq, at: now, body: b, trace: trace, ttl: ttl}
}

// add appends a record and trims what retention and the size bound no
// longer keep. A record at or below the highest sequence number already
// added is ignored, which makes replaying a log twice harmless.
func (st *stream) add(r *streamRec, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if r.seq <= st.high {
		return
	}
	st.high = r.seq
	st.recs = append(st.recs, r)
	st.bytes += len(r.body)
	st.trimLocked(now)
	close(st.notify)
	st.notify = make(chan struct{})
}

func (st *stream) trimLocked(now time.Time) {
	cut := 0
	for cut < len(st.recs) && (now.Sub(st.recs[cut].at) > streamRetention || (st.bytes > st.maxBytes && cut < len(st.recs)-1)) {
		st.trimmed = st.recs[cut].seq
		st.bytes -= len(st.recs[cut].body)
		cut++
	}
	if cut > 0 {
		// Reslicing keeps this O(cut); the dead prefix of the array goes
		// at the next growth of the slice.
		clear(st.recs[:cut])
		st.recs = st.recs[cut:]
	}
}

// retained returns the trim horizon and the records the stream still
// holds, oldest first.
func (st *stream) retained() (uint64, []*streamRec) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.trimLocked(time.Now())
	return st.trimmed, append([]*streamRec(nil), st.recs...)
}

// trimTo restores a trim horizon read from the log: seq was the last
// record dropped.
func (st *stream) trimTo(seq uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.trimmed = max(st.trimmed, seq)
	st.high = max(st.high, seq)
}

// regionOf reads the region out of an ARN.
func regionOf(arn string) string {
	parts := splitN(arn, ':', 6)
	if len(parts) > 3 {
		return parts[3]
	}
	return ""
}

func splitN(s string, sep byte, n int) []string {
	var out []string
	for len(out) < n-1 {
		i := indexByte(s, sep)
		if i < 0 {
			break
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return append(out, s)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// disable closes the shard; readers see EndingSequenceNumber.
func (st *stream) disable() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disabled {
		return
	}
	st.disabled = true
	st.endSeq = st.startSeq - 1
	if st.high > st.endSeq {
		st.endSeq = st.high
	}
	close(st.notify)
	st.notify = make(chan struct{})
}

// after returns up to max records with a sequence number > pos, and the
// channel that is closed on the next append.
func (st *stream) after(pos uint64, max int) ([]*streamRec, <-chan struct{}) {
	st.mu.Lock()
	defer st.mu.Unlock()
	i := sort.Search(len(st.recs), func(i int) bool { return st.recs[i].seq > pos })
	j := i + max
	if j > len(st.recs) {
		j = len(st.recs)
	}
	return append([]*streamRec(nil), st.recs[i:j]...), st.notify
}

// last returns the newest sequence number in the stream (or the position
// just before the first record when there is none).
func (st *stream) last() uint64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n := len(st.recs); n > 0 {
		return st.recs[n-1].seq
	}
	if st.trimmed > 0 {
		return st.trimmed
	}
	return st.startSeq - 1
}
