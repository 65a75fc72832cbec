package dynamodb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Log record layout: u32 payload length, u32 CRC-32 (IEEE) of the payload,
// then the payload, whose first byte is the op:
//
//	P  uvarint key length, key, uvarint item size, item JSON
//	D  uvarint key length, key
//	S  a stream record: uvarint label length, label, uvarint sequence
//	   number, varint creation time (unix nanoseconds), flags byte (1 = TTL
//	   delete), uvarint trace length, trace id, record JSON
//	T  a stream's trim horizon, written by compaction: uvarint label
//	   length, label, uvarint sequence number of the last dropped record
//	B  a batch: complete records (header included) one after another,
//	   which the outer CRC makes all-or-nothing
const (
	recPut    = 'P'
	recDelete = 'D'
	recStream = 'S'
	recTrim   = 'T'
	recBatch  = 'B'
	recHeader = 8
)

// wal is a table's append-only log.
type wal struct {
	path    string
	f       *os.File
	records int   // records in the file, for the compaction decision
	size    int64 // bytes in the file, to cut a failed append back off
	buf     []byte
	// err, once set, refuses every later append: the file could not be
	// cut back after a failed write, or a multi-table transaction that
	// includes this table is only partly logged (the next start
	// completes it, which is only correct if nothing was written since).
	err error
}

func openWAL(path string) (*wal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open table log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open table log: %w", err)
	}
	return &wal{path: path, f: f, size: st.Size()}, nil
}

func appendRecord(dst []byte, op byte, key string, size int, data []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	dst = append(dst, op)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	dst = binary.AppendUvarint(dst, uint64(size))
	dst = append(dst, data...)
	payload := dst[start+recHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.ChecksumIEEE(payload))
	return dst
}

// beginBatch starts a batch record at the end of dst; the caller appends
// complete records and closes it with endFrame.
func beginBatch(dst []byte) ([]byte, int) { return startFrame(dst, recBatch) }

// startFrame reserves a record header and writes the op byte; endFrame
// fills in the length and CRC once the payload is complete.
func startFrame(dst []byte, op byte) ([]byte, int) {
	start := len(dst)
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0, op), start
}

func endFrame(dst []byte, start int) []byte {
	payload := dst[start+recHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.ChecksumIEEE(payload))
	return dst
}

// appendStreamRecord appends an S record (see the layout above).
func appendStreamRecord(dst []byte, label string, r *streamRec) []byte {
	dst, start := startFrame(dst, recStream)
	dst = binary.AppendUvarint(dst, uint64(len(label)))
	dst = append(dst, label...)
	dst = binary.AppendUvarint(dst, r.seq)
	dst = binary.AppendVarint(dst, r.at.UnixNano())
	var flags byte
	if r.ttl {
		flags = 1
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(r.trace)))
	dst = append(dst, r.trace...)
	dst = append(dst, r.body...)
	return endFrame(dst, start)
}

// appendTrimRecord appends a T record (see the layout above).
func appendTrimRecord(dst []byte, label string, seq uint64) []byte {
	dst, start := startFrame(dst, recTrim)
	dst = binary.AppendUvarint(dst, uint64(len(label)))
	dst = append(dst, label...)
	dst = binary.AppendUvarint(dst, seq)
	return endFrame(dst, start)
}

// write appends records with a single write(2). n counts the item and
// stream records among them. A failed write is cut back off the file so
// later appends do not follow a torn record.
func (w *wal) write(recs []byte, n int) error {
	if w == nil || len(recs) == 0 {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if _, err := w.f.Write(recs); err != nil {
		if terr := w.f.Truncate(w.size); terr != nil {
			w.err = fmt.Errorf("table log %s is damaged: %w", w.path, terr)
		}
		return fmt.Errorf("append table log: %w", err)
	}
	w.size += int64(len(recs))
	w.records += n
	return nil
}

func (w *wal) putRecord(key string, size int, data []byte) error {
	if w == nil {
		return nil
	}
	w.buf = appendRecord(w.buf[:0], recPut, key, size, data)
	return w.write(w.buf, 1)
}

func (w *wal) deleteRecord(key string) error {
	if w == nil {
		return nil
	}
	w.buf = appendRecord(w.buf[:0], recDelete, key, 0, nil)
	return w.write(w.buf, 1)
}

func (w *wal) close() error {
	if w == nil || w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// logRec is one decoded log record. data aliases the read buffer: the
// replay callback copies what it keeps.
type logRec struct {
	op   byte
	key  string // P, D
	size int    // P
	data []byte // P: item JSON; S: record JSON
	// S only
	label string
	seq   uint64
	at    time.Time
	ttl   bool
	trace string
}

// replayLog reads every intact record of path in order, opening batches.
// A torn or corrupt record ends the replay: it can only be the last write
// of a killed process, which was never acknowledged. The file is truncated
// to the intact prefix so later appends follow good data. n counts item
// and stream records.
func replayLog(path string, fn func(r *logRec) error) (n int, err error) {
	var r logRec
	_, err = readFrames(path, "table log", func(payload []byte) (bool, error) {
		c, ok, err := walkRecord(payload, &r, fn)
		n += c
		return ok, err
	})
	return n, err
}

// walkRecord decodes one record payload into r and calls fn, or calls fn
// for each record of a batch. ok is false for a malformed payload.
func walkRecord(payload []byte, r *logRec, fn func(r *logRec) error) (n int, ok bool, err error) {
	if len(payload) > 0 && payload[0] == recBatch {
		// Check the whole batch first: it applies entirely or not at all.
		for p := payload[1:]; len(p) > 0; {
			inner, rest, ok := splitFrame(p)
			if !ok || len(inner) == 0 || inner[0] == recBatch || !parseRecord(inner, r) {
				return 0, false, nil
			}
			p = rest
		}
		for p := payload[1:]; len(p) > 0; {
			inner, rest, _ := splitFrame(p)
			parseRecord(inner, r)
			if err := fn(r); err != nil {
				return n, true, err
			}
			n++
			p = rest
		}
		return n, true, nil
	}
	if !parseRecord(payload, r) {
		return 0, false, nil
	}
	return 1, true, fn(r)
}

// splitFrame takes one complete record (header and payload) off the front
// of p, checking its CRC.
func splitFrame(p []byte) (payload, rest []byte, ok bool) {
	if len(p) < recHeader {
		return nil, nil, false
	}
	ln := binary.LittleEndian.Uint32(p[:4])
	if uint64(ln) > uint64(len(p)-recHeader) {
		return nil, nil, false
	}
	payload = p[recHeader : recHeader+int(ln)]
	if crc32.ChecksumIEEE(payload) != binary.LittleEndian.Uint32(p[4:8]) {
		return nil, nil, false
	}
	return payload, p[recHeader+int(ln):], true
}

// readFrames calls fn with the payload of every intact record of path in
// order, stopping at the first torn or corrupt one (or when fn reports a
// malformed payload), and truncates the file there. A missing file reads
// as empty. what names the file in errors.
func readFrames(path, what string, fn func(payload []byte) (ok bool, err error)) (good int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", what, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", what, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [recHeader]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		// A damaged length cannot claim more than the file holds, so it
		// never makes a huge allocation, and no fixed bound is needed: a
		// transaction's batch holds up to 4 MB of items as JSON, and with
		// NEW_AND_OLD_IMAGES each one twice more in its stream record.
		ln := binary.LittleEndian.Uint32(hdr[:4])
		if ln == 0 || int64(ln) > st.Size()-good-recHeader {
			break
		}
		if cap(payload) < int(ln) {
			payload = make([]byte, ln)
		}
		payload = payload[:ln]
		if _, err := io.ReadFull(r, payload); err != nil {
			break
		}
		if crc32.ChecksumIEEE(payload) != binary.LittleEndian.Uint32(hdr[4:]) {
			break
		}
		ok, err := fn(payload)
		if err != nil {
			return good, err
		}
		if !ok {
			break
		}
		good += int64(recHeader) + int64(ln)
	}
	if st.Size() > good {
		if err := f.Truncate(good); err != nil {
			return good, fmt.Errorf("truncate torn %s: %w", what, err)
		}
	}
	return good, nil
}

// parseRecord decodes a P, D or S payload into r.
func parseRecord(p []byte, r *logRec) bool {
	if len(p) < 1 {
		return false
	}
	*r = logRec{op: p[0]}
	switch r.op {
	case recPut, recDelete:
		p = p[1:]
		kl, n := binary.Uvarint(p)
		if n <= 0 || kl > uint64(len(p)-n) {
			return false
		}
		r.key = string(p[n : n+int(kl)])
		p = p[n+int(kl):]
		if r.op == recDelete {
			return true
		}
		sz, n := binary.Uvarint(p)
		if n <= 0 {
			return false
		}
		r.size, r.data = int(sz), p[n:]
		return true
	case recStream, recTrim:
		p = p[1:]
		ll, n := binary.Uvarint(p)
		if n <= 0 || ll > uint64(len(p)-n) {
			return false
		}
		r.label = string(p[n : n+int(ll)])
		p = p[n+int(ll):]
		if r.seq, n = binary.Uvarint(p); n <= 0 {
			return false
		}
		p = p[n:]
		if r.op == recTrim {
			return len(p) == 0
		}
		at, n := binary.Varint(p)
		if n <= 0 || len(p) < n+1 {
			return false
		}
		r.at, r.ttl = time.Unix(0, at), p[n] == 1
		p = p[n+1:]
		tl, n := binary.Uvarint(p)
		if n <= 0 || tl > uint64(len(p)-n) {
			return false
		}
		r.trace = string(p[n : n+int(tl)])
		r.data = p[n+int(tl):]
		return true
	}
	return false
}

// parseEpoch reads the integer part of a canonical decimal number as epoch
// seconds, saturating for values out of int64 range.
func parseEpoch(s string) int64 {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	if s == "" || s == "-" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if strings.HasPrefix(s, "-") {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return v
}
