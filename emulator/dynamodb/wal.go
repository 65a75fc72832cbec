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
)

// Log record layout: u32 payload length, u32 CRC-32 (IEEE) of the payload,
// payload = op byte, uvarint key length, key, uvarint item size, item JSON.
const (
	recPut    = 'P'
	recDelete = 'D'
	recHeader = 8
	// maxRecord bounds a record when reading a damaged file: an item is at
	// most 400 KB and its JSON a few times that.
	maxRecord = 16 << 20
)

// wal is a table's append-only log.
type wal struct {
	path    string
	f       *os.File
	records int // records in the file, for the compaction decision
	buf     []byte
}

func openWAL(path string) (*wal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open table log: %w", err)
	}
	return &wal{path: path, f: f}, nil
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

// write appends one batch of records with a single write(2).
func (w *wal) write(recs []byte, n int) error {
	if w == nil || len(recs) == 0 {
		return nil
	}
	if _, err := w.f.Write(recs); err != nil {
		return fmt.Errorf("append table log: %w", err)
	}
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

// replayLog reads every intact record of path in order. A torn or corrupt
// record ends the replay: it can only be the last write of a killed
// process, which was never acknowledged. The file is truncated to the
// intact prefix so later appends follow good data.
func replayLog(path string, fn func(op byte, key string, size int, data []byte) error) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open table log: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var good int64
	var n int
	var hdr [recHeader]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		ln := binary.LittleEndian.Uint32(hdr[:4])
		if ln == 0 || ln > maxRecord {
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
		op, key, size, data, ok := parseRecord(payload)
		if !ok {
			break
		}
		// data aliases payload; the callback copies what it keeps.
		if err := fn(op, key, size, data); err != nil {
			return n, err
		}
		good += int64(recHeader) + int64(ln)
		n++
	}
	if st, err := f.Stat(); err == nil && st.Size() > good {
		if err := f.Truncate(good); err != nil {
			return n, fmt.Errorf("truncate torn table log: %w", err)
		}
	}
	return n, nil
}

func parseRecord(p []byte) (op byte, key string, size int, data []byte, ok bool) {
	if len(p) < 1 {
		return 0, "", 0, nil, false
	}
	op = p[0]
	if op != recPut && op != recDelete {
		return 0, "", 0, nil, false
	}
	p = p[1:]
	kl, n := binary.Uvarint(p)
	if n <= 0 || kl > uint64(len(p)-n) {
		return 0, "", 0, nil, false
	}
	key = string(p[n : n+int(kl)])
	p = p[n+int(kl):]
	sz, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, "", 0, nil, false
	}
	return op, key, int(sz), p[n:], true
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
