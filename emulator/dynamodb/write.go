package dynamodb

import (
	"bytes"
	"fmt"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// change is one item write about to be committed. newItem nil = delete.
type change struct {
	t       *table
	key     string
	old     *entry
	oldItem attr.Item // decoded old item when needed (indexes, streams)
	newItem attr.Item
	newData []byte
	newSize int
	srec    *streamRec // set by stage when the stream records the change
}

// needOld reports whether committing a write needs the decoded old item.
func (t *table) needOld() bool {
	return len(t.indexes) > 0 || (t.stream != nil && t.meta.StreamEnabled)
}

// indexUnits returns the write units charged to each index the change
// touches, for ReturnConsumedCapacity INDEXES.
func (ch *change) indexUnits() map[string]float64 {
	var out map[string]float64
	for _, ix := range ch.t.indexes {
		touched := false
		if ch.oldItem != nil {
			_, touched = ix.keyOf(ch.oldItem, ch.key)
		}
		if !touched && ch.newItem != nil {
			_, touched = ix.keyOf(ch.newItem, ch.key)
		}
		if touched {
			if out == nil {
				out = map[string]float64{}
			}
			size := ch.newSize
			if ch.old != nil && int(ch.old.size) > size {
				size = int(ch.old.size)
			}
			out[ix.meta.Name] = writeUnits(size)
		}
	}
	return out
}

// commit logs a change with a single write(2), then applies it to memory
// and the stream. Caller holds t.mu.
func (s *Service) commit(ch *change, op, trace string, ttl bool) error {
	t := ch.t
	ok, err := s.stage(ch, trace, ttl)
	if !ok || err != nil {
		return err
	}
	if t.log != nil {
		var n int
		if ch.srec == nil {
			t.log.buf, n = ch.appendLog(t.log.buf[:0])
		} else {
			// The item and its stream record are logged together or not
			// at all.
			b, start := beginBatch(t.log.buf[:0])
			b, n = ch.appendLog(b)
			t.log.buf = endFrame(b, start)
		}
		err := t.log.write(t.log.buf, n)
		if cap(t.log.buf) > 1<<20 {
			t.log.buf = nil // keep no buffer sized for the rare huge item
		}
		if err != nil {
			s.log.Error("dynamodb log append failed", "table", t.meta.Name, "err", err)
			return errInternal()
		}
	}
	s.apply(ch, op, trace)
	if t.log != nil {
		s.maybeCompact(t)
	}
	return nil
}

// sameItem reports whether a write leaves the item as it was. Stored bytes
// are canonical up to member order (a PutItem may keep the order of its
// request), so equal items have equal lengths, and bytes that differ are
// compared as items.
func sameItem(ch *change) bool {
	if len(ch.old.data) != len(ch.newData) {
		return false
	}
	if bytes.Equal(ch.old.data, ch.newData) {
		return true
	}
	old := ch.oldItem
	if old == nil {
		var err error
		if old, err = attr.DecodeItem(ch.old.data); err != nil {
			return false
		}
	}
	return attr.Equal(attr.Value{Kind: attr.M, Map: old}, attr.Value{Kind: attr.M, Map: ch.newItem})
}

func errInternal() error {
	return &awsapi.Error{Status: 500, Code: "InternalServerError", Message: "Internal server error"}
}

// stage prepares a change: it decodes the old item when the indexes or the
// stream need it and builds the stream record. It reports false for a
// change that writes nothing. Caller holds t.mu.
func (s *Service) stage(ch *change, trace string, ttl bool) (bool, error) {
	t := ch.t
	if ch.newItem == nil && ch.old == nil {
		return false, nil // deleting a missing item changes nothing
	}
	if ch.old != nil && ch.newItem != nil && bytes.Equal(ch.old.data, ch.newData) {
		return false, nil // identical item: no log record, no stream record
	}
	if ch.old != nil && ch.oldItem == nil && t.needOld() {
		var err error
		if ch.oldItem, err = attr.DecodeItem(ch.old.data); err != nil {
			return false, fmt.Errorf("decode stored item: %w", err)
		}
	}
	if st := t.stream; st != nil && t.meta.StreamEnabled {
		ch.srec = st.build(ch.oldItem, ch.old != nil, ch.newItem, t.meta.Key, trace, ttl)
	}
	return true, nil
}

// appendLog appends a staged change's log records to dst (the item record,
// then its stream record if any) and returns how many it appended.
func (ch *change) appendLog(dst []byte) ([]byte, int) {
	if ch.newItem == nil {
		dst = appendRecord(dst, recDelete, ch.key, 0, nil)
	} else {
		dst = appendRecord(dst, recPut, ch.key, ch.newSize, ch.newData)
	}
	if ch.srec == nil {
		return dst, 1
	}
	return appendStreamRecord(dst, ch.t.stream.label, ch.srec), 2
}

// apply makes a staged, logged change visible. Caller holds t.mu.
func (s *Service) apply(ch *change, op, trace string) {
	t := ch.t
	if ch.newItem == nil {
		t.remove(ch.old, ch.oldItem)
	} else {
		ch.old = t.put(ch.key, ch.newData, ch.newSize, ch.newItem, ch.old, ch.oldItem)
	}
	if ch.srec != nil {
		t.stream.add(ch.srec, ch.srec.at)
	}
	if s.bus == nil {
		return
	}
	item := ch.newItem
	if item == nil {
		item = ch.oldItem
	}
	if item != nil {
		s.publishWrite(t.meta.Name, op, t.meta.Key.keyItem(item), trace)
	} else {
		s.publishWrite(t.meta.Name, op, nil, trace)
	}
}

// maybeCompact rewrites the log when garbage dominates it. Caller holds t.mu.
func (s *Service) maybeCompact(t *table) {
	// Items alone are cheaper to count; stream records only matter once
	// the log has outgrown them.
	if t.log.records > 2*t.items.Len()+10000 && t.log.records > 2*t.liveRecords()+10000 {
		if err := s.compact(t); err != nil {
			s.log.Error("dynamodb log compaction failed", "table", t.meta.Name, "err", err)
		}
	}
}

// encodeItem returns an item's stored form and size, enforcing the 400 KB
// limit with msg.
func encodeItem(it attr.Item, msg string) ([]byte, int, error) {
	size := attr.ItemSize(it)
	if size > maxItemBytes {
		return nil, 0, awsapi.ValidationError("%s", msg)
	}
	return attr.AppendItemJSON(make([]byte, 0, size+len(it)*12), it), size, nil
}
