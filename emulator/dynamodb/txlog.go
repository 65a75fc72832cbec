package dynamodb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// txLogName is the service's transaction log in the data directory. A
// table name cannot contain '+', so no table's files can collide with it.
const txLogName = "+transactions.log"

// txLogCutSize: once the transaction log holds this much and no
// transaction is between its intent and its done mark, it is cut back to
// empty, so it stays small however many transactions run.
const txLogCutSize = 4 << 20

// Transaction log records, in the table log's framing (length, CRC-32):
//
//	I  intent: uvarint id, uvarint part count, then per table: uvarint
//	   name length, name, uvarint record length, the complete batch record
//	   that goes to that table's log
//	E  done: uvarint id; every part is in its table log
const (
	txIntent = 'I'
	txDone   = 'E'
)

// errTxIncomplete refuses writes to the tables of a transaction whose
// logging failed after its intent: the next start completes it, which is
// only correct if nothing else was written to them since.
var errTxIncomplete = errors.New("a transaction on this table is only partly logged; restart slsx to complete it")

// txPart is one table's share of a transaction: a batch record.
type txPart struct {
	t   *table
	rec []byte
	n   int // item and stream records in rec
}

// txLog is the intent log that makes a transaction over several tables
// atomic across a kill (see the package comment).
type txLog struct {
	mu       sync.Mutex
	f        *os.File
	size     int64
	next     uint64
	inflight int // intents without a done mark; abandoned ones stay counted
	buf      []byte
	err      error // set when a torn record could not be cut off
}

// begin writes a transaction's intent with a single write(2). Once it
// returns nil the transaction is committed: a kill from here on is
// completed by the next start.
func (l *txLog) begin(parts []*txPart) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	id := l.next
	b, start := startFrame(l.buf[:0], txIntent)
	b = binary.AppendUvarint(b, id)
	b = binary.AppendUvarint(b, uint64(len(parts)))
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p.t.meta.Name)))
		b = append(b, p.t.meta.Name...)
		b = binary.AppendUvarint(b, uint64(len(p.rec)))
		b = append(b, p.rec...)
	}
	l.buf = endFrame(b, start)
	if err := l.write(l.buf); err != nil {
		return 0, err
	}
	l.inflight++
	return id, nil
}

// end marks transaction id as fully logged in its tables.
func (l *txLog) end(id uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, start := startFrame(l.buf[:0], txDone)
	l.buf = endFrame(binary.AppendUvarint(b, id), start)
	if err := l.write(l.buf); err != nil {
		return err // the intent stays in flight: the log is never cut
	}
	l.inflight--
	if l.inflight == 0 && l.size > txLogCutSize {
		if err := l.f.Truncate(0); err == nil {
			l.size = 0
		}
	}
	return nil
}

func (l *txLog) write(b []byte) error {
	if l.err != nil {
		return l.err
	}
	if _, err := l.f.Write(b); err != nil {
		// Cut a torn record off: replay stops at the first bad record,
		// so anything appended after it would be lost.
		if terr := l.f.Truncate(l.size); terr != nil {
			l.err = fmt.Errorf("transaction log is damaged: %w", terr)
		}
		return fmt.Errorf("append transaction log: %w", err)
	}
	l.size += int64(len(b))
	return nil
}

func (l *txLog) close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// logTx logs a transaction's staged changes: one batch record per table,
// preceded, when there is more than one table, by an intent in the
// transaction log and followed by its done mark. committed reports whether
// the transaction must be applied even though err is set. Caller holds
// the locks of every table involved.
func (s *Service) logTx(staged []*change) (committed bool, err error) {
	byTable := map[*table]*txPart{}
	var parts []*txPart
	for _, ch := range staged {
		if ch.t.log == nil {
			continue
		}
		p := byTable[ch.t]
		if p == nil {
			p = &txPart{t: ch.t}
			p.rec, _ = beginBatch(nil)
			byTable[ch.t] = p
			parts = append(parts, p)
		}
		var n int
		p.rec, n = ch.appendLog(p.rec)
		p.n += n
	}
	if len(parts) == 0 {
		return true, nil
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].t.meta.Name < parts[j].t.meta.Name })
	for _, p := range parts {
		p.rec = endFrame(p.rec, 0)
		if p.t.log.err != nil {
			return false, s.logFailed(p.t, p.t.log.err)
		}
	}
	if len(parts) == 1 {
		if err := parts[0].t.log.write(parts[0].rec, parts[0].n); err != nil {
			return false, s.logFailed(parts[0].t, err)
		}
		s.txPoint("part")
		return true, nil
	}
	id, err := s.txlog.begin(parts)
	if err != nil {
		return false, s.logFailed(parts[0].t, err)
	}
	s.txPoint("intent")
	for _, p := range parts {
		if err = p.t.log.write(p.rec, p.n); err != nil {
			break
		}
		s.txPoint("part")
	}
	if err == nil {
		err = s.txlog.end(id)
	}
	if err != nil {
		for _, p := range parts {
			if p.t.log.err == nil {
				p.t.log.err = errTxIncomplete
			}
		}
		return true, s.logFailed(parts[0].t, err)
	}
	s.txPoint("done")
	return true, nil
}

func (s *Service) logFailed(t *table, err error) error {
	s.log.Error("dynamodb log append failed", "table", t.meta.Name, "err", err)
	return errInternal()
}

// txPoint calls the test hook between the writes of a transaction.
func (s *Service) txPoint(point string) {
	if s.txHook != nil {
		s.txHook(point)
	}
}

// openTxLog completes every transaction whose intent has no done mark
// (the process died between the two), by replaying each part into its
// table and appending it to the table's log, then empties the log. A
// part may already be in its table's log; applying it again is harmless
// because item records hold whole items and stream records are skipped by
// sequence number, and nothing was written to those tables after it (the
// transaction held their locks until it died). Caller owns every table.
func (s *Service) openTxLog() error {
	path := filepath.Join(s.dataDir, txLogName)
	type part struct {
		name string
		rec  []byte
	}
	pending := map[uint64][]part{}
	var order []uint64
	_, err := readFrames(path, "transaction log", func(p []byte) (bool, error) {
		op := p[0]
		id, n := binary.Uvarint(p[1:])
		if n <= 0 {
			return false, nil
		}
		p = p[1+n:]
		if op == txDone {
			delete(pending, id)
			return true, nil
		}
		if op != txIntent {
			return false, nil
		}
		cnt, n := binary.Uvarint(p)
		if n <= 0 {
			return false, nil
		}
		p = p[n:]
		var parts []part
		for range cnt {
			nl, n := binary.Uvarint(p)
			if n <= 0 || nl > uint64(len(p)-n) {
				return false, nil
			}
			name := string(p[n : n+int(nl)])
			p = p[n+int(nl):]
			rl, n := binary.Uvarint(p)
			if n <= 0 || rl > uint64(len(p)-n) {
				return false, nil
			}
			parts = append(parts, part{name, append([]byte(nil), p[n:n+int(rl)]...)})
			p = p[n+int(rl):]
		}
		pending[id] = parts
		order = append(order, id)
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, id := range order {
		parts, ok := pending[id]
		if !ok {
			continue
		}
		for _, p := range parts {
			t := s.tables[p.name]
			payload, _, ok := splitFrame(p.rec)
			if t == nil || !ok {
				continue
			}
			var r logRec
			n, ok, err := walkRecord(payload, &r, func(r *logRec) error { return s.replayRec(t, r) })
			if err != nil {
				return fmt.Errorf("complete transaction on table %s: %w", p.name, err)
			}
			if !ok {
				continue
			}
			if err := t.log.write(p.rec, n); err != nil {
				return fmt.Errorf("complete transaction on table %s: %w", p.name, err)
			}
		}
		s.log.Info("dynamodb transaction completed after restart", "tables", len(parts))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open transaction log: %w", err)
	}
	// Every intent is now in its tables' logs.
	if err := f.Truncate(0); err != nil {
		f.Close()
		return fmt.Errorf("open transaction log: %w", err)
	}
	s.txlog = &txLog{f: f}
	return nil
}
