package dynamodb

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/tidwall/btree"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Wire shapes shared by the control-plane operations.
type attributeDefinition struct {
	AttributeName *string `json:"AttributeName"`
	AttributeType *string `json:"AttributeType"`
}

type keySchemaElement struct {
	AttributeName *string `json:"AttributeName"`
	KeyType       *string `json:"KeyType"`
}

type projection struct {
	ProjectionType   *string  `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits"`
}

type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// keySchema is a resolved HASH [+ RANGE] key.
type keySchema struct {
	Hash, HashType   string
	Range, RangeType string // "" when there is no sort key
}

// indexMeta is the persisted definition of a secondary index.
type indexMeta struct {
	Name       string
	Global     bool
	Key        keySchema
	Projection string
	NonKey     []string
	RCU, WCU   int64
	HasTP      bool
	Created    time.Time
}

// tableMeta is everything about a table except its items; it is what the
// data directory stores as <table>.json.
type tableMeta struct {
	Name               string
	ID                 string
	Created            time.Time
	Key                keySchema
	AttrDefs           [][2]string // name, type in request order
	Billing            string
	BillingUpdated     time.Time
	RCU, WCU           int64
	Indexes            []*indexMeta
	StreamEnabled      bool
	StreamView         string
	StreamLabel        string
	StreamCreated      time.Time
	StreamStartSeq     uint64       `json:",omitempty"` // first sequence number of the stream
	PastStreams        []pastStream `json:",omitempty"` // replaced streams, readable for 24 h
	TTLAttr            string
	TTLEnabled         bool
	Tags               [][2]string
	SSE                json.RawMessage `json:",omitempty"`
	TableClass         string
	DeletionProtection bool
}

// pastStream is a replaced stream kept for its retention period.
type pastStream struct {
	Label, View string
	Created     time.Time
	StartSeq    uint64
	Ended       time.Time
}

// entry is one stored item: its composite key and wire JSON.
type entry struct {
	key  string
	data []byte
	size int32
	// ttl is the item's expiry (epoch seconds) when the table's TTL
	// attribute holds a number; 0 otherwise. Kept so the sweeper need not
	// decode every item.
	ttl int64
}

type ientry struct {
	key string
	e   *entry
}

type index struct {
	meta  *indexMeta
	tree  *btree.BTreeG[ientry]
	bytes int64
}

// table is one DynamoDB table. mu guards everything below it; a write holds
// it across the log append so the log order is the commit order.
type table struct {
	mu      sync.RWMutex
	meta    tableMeta
	items   *btree.BTreeG[*entry]
	bytes   int64
	indexes []*index
	stream  *stream   // current stream, nil when never enabled
	past    []*stream // replaced streams within retention
	log     *wal
	deleted bool
}

func newItemTree() *btree.BTreeG[*entry] {
	return btree.NewBTreeGOptions(func(a, b *entry) bool { return a.key < b.key }, btree.Options{NoLocks: true})
}

func newIndexTree() *btree.BTreeG[ientry] {
	return btree.NewBTreeGOptions(func(a, b ientry) bool { return a.key < b.key }, btree.Options{NoLocks: true})
}

func (t *table) index(name string) *index {
	for _, ix := range t.indexes {
		if ix.meta.Name == name {
			return ix
		}
	}
	return nil
}

// keyOf returns the composite storage key of item it (which has valid keys).
func (k *keySchema) keyOf(it attr.Item) string {
	b := make([]byte, 0, 48)
	b = appendPart(b, it[k.Hash])
	if k.Range != "" {
		b = appendSort(b, it[k.Range])
	}
	return string(b)
}

// indexKeyOf returns the index key for it, or "", false when the item lacks
// an index key attribute (sparse index) or has it with another type.
func (ix *index) keyOf(it attr.Item, tableKey string) (string, bool) {
	k := &ix.meta.Key
	h, ok := it[k.Hash]
	if !ok || kindName(h.Kind) != k.HashType {
		return "", false
	}
	b := make([]byte, 0, 64+len(tableKey))
	b = appendPart(b, h)
	if k.Range != "" {
		r, ok := it[k.Range]
		if !ok || kindName(r.Kind) != k.RangeType {
			return "", false
		}
		b = appendSort(b, r)
	}
	b = append(b, tableKey...)
	return string(b), true
}

// names returns the attribute names that make up the key.
func (k *keySchema) names() []string {
	if k.Range == "" {
		return []string{k.Hash}
	}
	return []string{k.Hash, k.Range}
}

// keyItem extracts the key attributes of it.
func (k *keySchema) keyItem(it attr.Item) attr.Item {
	out := attr.Item{k.Hash: it[k.Hash]}
	if k.Range != "" {
		out[k.Range] = it[k.Range]
	}
	return out
}

// put replaces or inserts an entry and maintains the indexes. oldItem is
// the decoded previous item when one existed (nil otherwise); newItem the
// decoded new one. Caller holds t.mu.
func (t *table) put(key string, data []byte, size int, newItem attr.Item, old *entry, oldItem attr.Item) *entry {
	e := old
	oldSize := int64(0)
	if e == nil {
		e = &entry{key: key}
		t.items.Set(e)
	} else {
		oldSize = int64(e.size)
		t.bytes -= oldSize
	}
	e.data, e.size = data, int32(size)
	e.ttl = ttlOf(newItem, t.meta.TTLAttr)
	t.bytes += int64(size)
	for _, ix := range t.indexes {
		var ok bool
		var ok2 bool
		var oldK, newK string
		if oldItem != nil {
			oldK, ok = ix.keyOf(oldItem, key)
		}
		newK, ok2 = ix.keyOf(newItem, key)
		if ok {
			if !ok2 || oldK != newK {
				ix.tree.Delete(ientry{key: oldK})
			}
			ix.bytes -= oldSize
		}
		if ok2 {
			ix.tree.Set(ientry{key: newK, e: e})
			ix.bytes += int64(size)
		}
	}
	return e
}

// remove deletes an entry and its index entries. Caller holds t.mu.
func (t *table) remove(e *entry, oldItem attr.Item) {
	t.items.Delete(e)
	t.bytes -= int64(e.size)
	for _, ix := range t.indexes {
		if oldItem == nil {
			break
		}
		if k, ok := ix.keyOf(oldItem, e.key); ok {
			ix.tree.Delete(ientry{key: k})
			ix.bytes -= int64(e.size)
		}
	}
}

// get finds the entry for a composite key.
func (t *table) get(key string) *entry {
	e, ok := t.items.Get(&entry{key: key})
	if !ok {
		return nil
	}
	return e
}

// streams returns the table's streams, replaced ones first.
func (t *table) streams() []*stream {
	if t.stream == nil {
		return t.past
	}
	return append(t.past[:len(t.past):len(t.past)], t.stream)
}

// liveRecords counts what a compacted log would hold: items and retained
// stream records. Caller holds t.mu.
func (t *table) liveRecords() int {
	n := t.items.Len()
	for _, st := range t.streams() {
		st.mu.Lock()
		n += len(st.recs)
		st.mu.Unlock()
	}
	return n
}

func (t *table) arn(s *Service) string { return s.tableARN(t.meta.Name) }

// ttlOf extracts the TTL expiry of an item: a top-level N attribute read as
// whole epoch seconds.
func ttlOf(it attr.Item, name string) int64 {
	if name == "" || it == nil {
		return 0
	}
	v, ok := it[name]
	if !ok || v.Kind != attr.N {
		return 0
	}
	return parseEpoch(v.Str)
}
