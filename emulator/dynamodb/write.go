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

// commit applies a change to memory, the log and the stream. logBuf, when
// not nil, collects the log record instead of writing it, so a transaction
// can append all its records with one write. Caller holds t.mu.
func (s *Service) commit(ch *change, op, trace string, ttl bool, logBuf *[]byte) error {
	t := ch.t
	if ch.newItem == nil && ch.old == nil {
		return nil // deleting a missing item changes nothing
	}
	if ch.old != nil && ch.newItem != nil && sameItem(ch) {
		return nil // identical item: no log record, no stream record
	}
	if ch.old != nil && ch.oldItem == nil && t.needOld() {
		var err error
		if ch.oldItem, err = attr.DecodeItem(ch.old.data); err != nil {
			return fmt.Errorf("decode stored item: %w", err)
		}
	}
	if t.log != nil {
		var rec []byte
		if ch.newItem == nil {
			rec = appendRecord(nil, recDelete, ch.key, 0, nil)
		} else {
			rec = appendRecord(nil, recPut, ch.key, ch.newSize, ch.newData)
		}
		if logBuf != nil {
			*logBuf = append(*logBuf, rec...)
		} else if err := t.log.write(rec, 1); err != nil {
			s.log.Error("dynamodb log append failed", "table", t.meta.Name, "err", err)
			return &awsapi.Error{Status: 500, Code: "InternalServerError", Message: "Internal server error"}
		}
	}
	var oldData []byte
	if ch.old != nil {
		oldData = ch.old.data
	}
	if ch.newItem == nil {
		t.remove(ch.old, ch.oldItem)
	} else {
		ch.old = t.put(ch.key, ch.newData, ch.newSize, ch.newItem, ch.old, ch.oldItem)
	}
	if st := t.stream; st != nil && t.meta.StreamEnabled {
		st.record(ch.oldItem, oldData != nil, ch.newItem, t.meta.Key, trace, ttl)
	}
	item := ch.newItem
	if item == nil {
		item = ch.oldItem
	}
	if item != nil && s.bus != nil {
		s.publishWrite(t.meta.Name, op, t.meta.Key.keyItem(item), trace)
	} else if s.bus != nil {
		s.publishWrite(t.meta.Name, op, nil, trace)
	}
	if t.log != nil && logBuf == nil {
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

// maybeCompact rewrites the log when garbage dominates it. Caller holds t.mu.
func (s *Service) maybeCompact(t *table) {
	if t.log.records > 2*t.items.Len()+10000 {
		if err := s.compact(t); err != nil {
			s.log.Error("dynamodb log compaction failed", "table", t.meta.Name, "err", err)
		}
	}
}

// flushLog writes a transaction's collected records. Caller holds t.mu.
func (s *Service) flushLog(t *table, buf []byte, n int) error {
	if t.log == nil || len(buf) == 0 {
		return nil
	}
	if err := t.log.write(buf, n); err != nil {
		s.log.Error("dynamodb log append failed", "table", t.meta.Name, "err", err)
		return &awsapi.Error{Status: 500, Code: "InternalServerError", Message: "Internal server error"}
	}
	s.maybeCompact(t)
	return nil
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
