package dynamodb

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Batch limits (reference §8).
const (
	maxBatchGetKeys   = 100
	maxBatchWrites    = 25
	maxBatchRespBytes = 16 << 20
)

type keysAndAttributes struct {
	Keys                     []attr.Item       `json:"Keys"`
	ProjectionExpression     *string           `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ConsistentRead           *bool             `json:"ConsistentRead,omitempty"`
	AttributesToGet          json.RawMessage   `json:"AttributesToGet,omitempty"`
}

func sortedTableNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func opBatchGetItem(s *Service, c *call) ([]byte, error) {
	var in struct {
		RequestItems           map[string]*keysAndAttributes `json:"RequestItems"`
		ReturnConsumedCapacity *string                       `json:"ReturnConsumedCapacity"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.RequestItems == nil {
		v.add(nil, "requestItems", "Member must not be null")
	} else if len(in.RequestItems) == 0 {
		v.add("{}", "requestItems", "Member must have length greater than or equal to 1")
	}
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	total := 0
	for _, name := range sortedTableNames(in.RequestItems) {
		ka := in.RequestItems[name]
		if ka == nil || ka.Keys == nil {
			v.add(nil, "requestItems."+name+".member.keys", "Member must not be null")
			continue
		}
		if len(ka.Keys) == 0 {
			v.add("[]", "requestItems."+name+".member.keys", "Member must have length greater than or equal to 1")
		}
		total += len(ka.Keys)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if total > maxBatchGetKeys {
		return nil, awsapi.ValidationError("Too many items requested for the BatchGetItem call")
	}
	type plan struct {
		name string
		t    *table
		ka   *keysAndAttributes
		comp *cexpr
		keys []string
	}
	var plans []plan
	for _, name := range sortedTableNames(in.RequestItems) {
		ka := in.RequestItems[name]
		t, err := s.lookup(name)
		if err != nil {
			return nil, err
		}
		p := plan{name: name, t: t, ka: ka}
		lf := legacyFields{AttributesToGet: ka.AttributesToGet}
		if ka.ProjectionExpression != nil || ka.ExpressionAttributeNames != nil || ka.AttributesToGet != nil {
			raw, _ := json.Marshal(ka)
			p.comp, err = compile(exprSpec{proj: ka.ProjectionExpression, names: ka.ExpressionAttributeNames, legacy: &lf, body: raw, op: "BatchGetItem"})
			if err != nil {
				return nil, err
			}
		}
		seen := map[string]bool{}
		for _, k := range ka.Keys {
			ck, err := t.checkKey(k)
			if err != nil {
				return nil, err
			}
			if seen[ck] {
				return nil, awsapi.ValidationError("Provided list of item keys contains duplicates")
			}
			seen[ck] = true
			p.keys = append(p.keys, ck)
		}
		plans = append(plans, p)
	}
	b := []byte(`{"Responses":{`)
	var unprocessed map[string]*keysAndAttributes
	var caps []*consumedCapacity
	size := 0
	for pi, p := range plans {
		if pi > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p.name)
		b = append(b, ":["...)
		consistent := p.ka.ConsistentRead != nil && *p.ka.ConsistentRead
		units := 0.0
		n := 0
		p.t.mu.RLock()
		for i, ck := range p.keys {
			if size > maxBatchRespBytes {
				if unprocessed == nil {
					unprocessed = map[string]*keysAndAttributes{}
				}
				cp := *p.ka
				cp.Keys = p.ka.Keys[i:]
				unprocessed[p.name] = &cp
				break
			}
			e := p.t.get(ck)
			if e == nil {
				units += readUnits(0, consistent)
				continue
			}
			units += readUnits(int(e.size), consistent)
			if n > 0 {
				b = append(b, ',')
			}
			n++
			if p.comp != nil && p.comp.proj {
				it, err := attr.DecodeItem(e.data)
				if err != nil {
					p.t.mu.RUnlock()
					return nil, err
				}
				b = attr.AppendItemJSON(b, p.comp.Project(it))
			} else {
				b = append(b, e.data...)
			}
			size += len(e.data)
		}
		if cc := p.t.capacity(str(in.ReturnConsumedCapacity), units, false, nil); cc != nil {
			caps = append(caps, cc)
		}
		p.t.mu.RUnlock()
		b = append(b, ']')
	}
	b = append(b, `},"UnprocessedKeys":`...)
	if unprocessed == nil {
		b = append(b, "{}"...)
	} else {
		enc, err := json.Marshal(unprocessed)
		if err != nil {
			return nil, err
		}
		b = append(b, enc...)
	}
	if caps != nil {
		enc, _ := json.Marshal(caps)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}

type writeRequest struct {
	PutRequest *struct {
		Item attr.Item `json:"Item"`
	} `json:"PutRequest"`
	DeleteRequest *struct {
		Key attr.Item `json:"Key"`
	} `json:"DeleteRequest"`
}

func opBatchWriteItem(s *Service, c *call) ([]byte, error) {
	var in struct {
		RequestItems                map[string][]writeRequest `json:"RequestItems"`
		ReturnConsumedCapacity      *string                   `json:"ReturnConsumedCapacity"`
		ReturnItemCollectionMetrics *string                   `json:"ReturnItemCollectionMetrics"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.RequestItems == nil {
		v.add(nil, "requestItems", "Member must not be null")
	} else if len(in.RequestItems) == 0 {
		v.add("{}", "requestItems", "Member must have length greater than or equal to 1")
	}
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	v.enum(in.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", "SIZE", "NONE")
	total := 0
	for _, name := range sortedTableNames(in.RequestItems) {
		reqs := in.RequestItems[name]
		if len(reqs) == 0 {
			v.add("[]", "requestItems."+name+".member", "Member must have length greater than or equal to 1")
		}
		if len(reqs) > maxBatchWrites {
			v.add(fmt.Sprintf("{%s=[%d WriteRequests]}", name, len(reqs)), "requestItems",
				"Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
		}
		total += len(reqs)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if total > maxBatchWrites {
		return nil, awsapi.ValidationError("Too many items requested for the BatchWriteItem call")
	}
	type op struct {
		t       *table
		key     string
		keyItem attr.Item // the request's key (delete) or item (put)
		item    attr.Item
		data    []byte
		size    int
	}
	var ops []op
	seen := map[string]bool{}
	tables := map[string]*table{}
	for _, name := range sortedTableNames(in.RequestItems) {
		t, err := s.lookup(name)
		if err != nil {
			return nil, err
		}
		tables[name] = t
		for _, r := range in.RequestItems[name] {
			if (r.PutRequest == nil) == (r.DeleteRequest == nil) {
				return nil, awsapi.ValidationError("One or more parameter values were invalid: A WriteRequest must contain exactly one of PutRequest or DeleteRequest")
			}
			var o op
			o.t = t
			if r.PutRequest != nil {
				if r.PutRequest.Item == nil {
					return nil, awsapi.ValidationError("1 validation error detected: Value null at 'requestItems.%s.member.putRequest.item' failed to satisfy constraint: Member must not be null", name)
				}
				if err := t.checkItem(r.PutRequest.Item); err != nil {
					return nil, err
				}
				data, size, err := encodeItem(r.PutRequest.Item, "Item size has exceeded the maximum allowed size")
				if err != nil {
					return nil, err
				}
				o.key, o.item, o.data, o.size = t.meta.Key.keyOf(r.PutRequest.Item), r.PutRequest.Item, data, size
				o.keyItem = o.item
			} else {
				if r.DeleteRequest.Key == nil {
					return nil, awsapi.ValidationError("1 validation error detected: Value null at 'requestItems.%s.member.deleteRequest.key' failed to satisfy constraint: Member must not be null", name)
				}
				k, err := t.checkKey(r.DeleteRequest.Key)
				if err != nil {
					return nil, err
				}
				o.key, o.keyItem = k, r.DeleteRequest.Key
			}
			if seen[name+"\x00"+o.key] {
				return nil, awsapi.ValidationError("Provided list of item keys contains duplicates")
			}
			seen[name+"\x00"+o.key] = true
			ops = append(ops, o)
		}
	}
	units := map[*table]float64{}
	var colls collectionSet
	for _, o := range ops {
		t := o.t
		t.mu.Lock()
		if t.deleted {
			t.mu.Unlock()
			return nil, errNotFound()
		}
		ch := &change{t: t, key: o.key, old: t.get(o.key), newItem: o.item, newData: o.data, newSize: o.size}
		sz := o.size
		if ch.old != nil && int(ch.old.size) > sz {
			sz = int(ch.old.size)
		}
		units[t] += writeUnits(sz)
		err := s.commit(ch, "BatchWriteItem", c.traceID, false)
		if err == nil {
			colls.add(t, in.ReturnItemCollectionMetrics, o.keyItem)
		}
		t.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	b := []byte(`{"UnprocessedItems":{}`)
	var caps []*consumedCapacity
	for _, name := range sortedTableNames(tables) {
		t := tables[name]
		if cc := t.capacity(str(in.ReturnConsumedCapacity), units[t], true, nil); cc != nil {
			caps = append(caps, cc)
		}
	}
	if caps != nil {
		enc, _ := json.Marshal(caps)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	if str(in.ReturnItemCollectionMetrics) == "SIZE" {
		b = colls.appendJSON(append(b, `,"ItemCollectionMetrics":`...))
	}
	return append(b, '}'), nil
}
