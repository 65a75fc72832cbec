package dynamodb

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Item collections (reference §13): on a table with local secondary
// indexes, the items sharing a partition key value plus their LSI entries.
// DynamoDB caps one at 10 GB; slsx does not enforce the cap but reports
// the size when a write asks for ReturnItemCollectionMetrics=SIZE.

// lsiEntryOverhead is the per-entry overhead DynamoDB counts for an index
// item on top of its keys and projected attributes (DDB Guide,
// LSI.StorageConsiderations: 100 bytes).
const lsiEntryOverhead = 100

// gib is one gigabyte as SizeEstimateRangeGB counts it.
const gib = 1 << 30

type itemCollectionMetrics struct {
	ItemCollectionKey   json.RawMessage `json:"ItemCollectionKey"`
	SizeEstimateRangeGB [2]float64      `json:"SizeEstimateRangeGB"`
}

// hasLSI reports whether the table has a local secondary index.
func (t *table) hasLSI() bool {
	for _, ix := range t.indexes {
		if !ix.meta.Global {
			return true
		}
	}
	return false
}

// collectionBytes returns the size of the item collection of partition key
// value hv: the DynamoDB sizes of its items plus, for every LSI, each
// entry's keys, projected attributes and overhead. Caller holds t.mu.
func (t *table) collectionBytes(hv attr.Value) int64 {
	prefix := string(appendPart(nil, hv))
	var n int64
	t.items.Ascend(&entry{key: prefix}, func(e *entry) bool {
		if !strings.HasPrefix(e.key, prefix) {
			return false
		}
		n += int64(e.size)
		return true
	})
	for _, ix := range t.indexes {
		if ix.meta.Global {
			continue
		}
		// An LSI shares the table's partition key, so its entries for
		// this collection share the partition prefix too.
		ix.tree.Ascend(ientry{key: prefix}, func(ie ientry) bool {
			if !strings.HasPrefix(ie.key, prefix) {
				return false
			}
			n += int64(t.lsiEntrySize(ix, ie.e))
			return true
		})
	}
	return n
}

// lsiEntrySize is the size of e's entry in LSI ix.
func (t *table) lsiEntrySize(ix *index, e *entry) int {
	if ix.meta.Projection == "ALL" {
		return int(e.size) + lsiEntryOverhead
	}
	it, err := attr.DecodeItem(e.data)
	if err != nil {
		return int(e.size) + lsiEntryOverhead
	}
	proj := attr.Item{}
	keep := func(name string) {
		if v, ok := it[name]; ok {
			proj[name] = v
		}
	}
	for _, name := range t.meta.Key.names() {
		keep(name)
	}
	keep(ix.meta.Key.Range)
	for _, name := range ix.meta.NonKey {
		keep(name)
	}
	return attr.ItemSize(proj) + lsiEntryOverhead
}

// sizeRangeGB turns a collection size into DynamoDB's estimate: the whole
// gigabytes below and above it, as in the DDB Guide's example ([0.0, 1.0]
// for a collection under 1 GB).
func sizeRangeGB(n int64) [2]float64 {
	lo := math.Floor(float64(n) / gib)
	return [2]float64{lo, lo + 1}
}

// collectionMetrics reports the item collection that item (any item or key
// carrying the partition key) belongs to, when mode is SIZE and the table
// has an LSI; nil otherwise. Caller holds t.mu.
func (t *table) collectionMetrics(mode *string, item attr.Item) *itemCollectionMetrics {
	if str(mode) != "SIZE" || item == nil || !t.hasLSI() {
		return nil
	}
	hk := t.meta.Key.Hash
	hv, ok := item[hk]
	if !ok {
		return nil
	}
	return &itemCollectionMetrics{
		ItemCollectionKey:   attr.AppendItemJSON(nil, attr.Item{hk: hv}),
		SizeEstimateRangeGB: sizeRangeGB(t.collectionBytes(hv)),
	}
}

// collectionSet gathers the metrics of the collections a batch or a
// transaction wrote, one entry per collection, listed by table name for
// the ItemCollectionMetrics member of BatchWriteItem and
// TransactWriteItems.
type collectionSet struct {
	byTable map[string][]*itemCollectionMetrics
	seen    map[string]bool
}

// add records the collection of item in t. Caller holds t.mu.
func (cs *collectionSet) add(t *table, mode *string, item attr.Item) {
	m := t.collectionMetrics(mode, item)
	if m == nil {
		return
	}
	id := t.meta.Name + "\x00" + string(m.ItemCollectionKey)
	if cs.seen[id] {
		return
	}
	if cs.byTable == nil {
		cs.byTable, cs.seen = map[string][]*itemCollectionMetrics{}, map[string]bool{}
	}
	cs.seen[id] = true
	cs.byTable[t.meta.Name] = append(cs.byTable[t.meta.Name], m)
}

// appendJSON appends the set as a JSON object (table name to list).
func (cs *collectionSet) appendJSON(b []byte) []byte {
	if len(cs.byTable) == 0 {
		return append(b, "{}"...)
	}
	enc, _ := json.Marshal(cs.byTable)
	return append(b, enc...)
}
