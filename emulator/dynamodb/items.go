package dynamodb

import (
	"encoding/json"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

type writeOpts struct {
	ReturnValues                        *string `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure *string `json:"ReturnValuesOnConditionCheckFailure"`
	ReturnConsumedCapacity              *string `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         *string `json:"ReturnItemCollectionMetrics"`
}

func (w *writeOpts) validate(v *verrs) {
	v.enum(w.ReturnValues, "returnValues", "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
	v.enum(w.ReturnValuesOnConditionCheckFailure, "returnValuesOnConditionCheckFailure", "ALL_OLD", "NONE")
	v.enum(w.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	v.enum(w.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", "SIZE", "NONE")
}

// writeOutput is the response of PutItem, UpdateItem and DeleteItem.
type writeOutput struct {
	Attributes            json.RawMessage        `json:"Attributes,omitempty"`
	ConsumedCapacity      *consumedCapacity      `json:"ConsumedCapacity,omitempty"`
	ItemCollectionMetrics *itemCollectionMetrics `json:"ItemCollectionMetrics,omitempty"`
}

func condFailed(t *table, rv *string, old *entry) error {
	if str(rv) == "ALL_OLD" && old != nil {
		return errCondFailed(old.data)
	}
	return errCondFailed(nil)
}

// PutItem.

type putItemInput struct {
	TableName *string   `json:"TableName"`
	Item      attr.Item `json:"Item"`
	exprFields
	legacyFields
	writeOpts
}

func opPutItem(s *Service, c *call) ([]byte, error) {
	var in putItemInput
	pr, err := decodePut(c.body, &in)
	if err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.Item == nil {
		v.add(nil, "item", "Member must not be null")
	}
	in.writeOpts.validate(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if rv := str(in.ReturnValues); rv != "" && rv != "NONE" && rv != "ALL_OLD" {
		return nil, awsapi.ValidationError("ReturnValues can only be ALL_OLD or NONE")
	}
	t, err := s.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	comp, err := compile(exprSpec{cond: in.ConditionExpression, names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues,
		legacy: &in.legacyFields, body: c.body, op: "PutItem"})
	if err != nil {
		return nil, err
	}
	data, size, err := encodePut(in.Item, pr, "One or more parameter values were invalid: Item size has exceeded the maximum allowed size")
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errNotFound()
	}
	if err := t.checkItem(in.Item); err != nil {
		return nil, err
	}
	key := t.meta.Key.keyOf(in.Item)
	old := t.get(key)
	ch := &change{t: t, key: key, old: old, newItem: in.Item, newData: data, newSize: size}
	if ok, err := evalCondition(comp, ch); err != nil {
		return nil, err
	} else if !ok {
		return nil, condFailed(t, in.ReturnValuesOnConditionCheckFailure, old)
	}
	out := writeOutput{}
	if str(in.ReturnValues) == "ALL_OLD" && old != nil {
		out.Attributes = old.data
	}
	units := writeUnits(size)
	if old != nil && int(old.size) > size {
		units = writeUnits(int(old.size))
	}
	if err := s.commit(ch, "PutItem", c.traceID, false); err != nil {
		return nil, err
	}
	out.ConsumedCapacity = t.capacity(str(in.ReturnConsumedCapacity), units, true, ch.indexUnits())
	out.ItemCollectionMetrics = t.collectionMetrics(in.ReturnItemCollectionMetrics, in.Item)
	if out.Attributes == nil && out.ConsumedCapacity == nil && out.ItemCollectionMetrics == nil {
		return []byte("{}"), nil
	}
	return marshal(out)
}

// evalCondition runs the request's condition against the current item,
// decoding it into ch.oldItem when needed.
func evalCondition(comp *cexpr, ch *change) (bool, error) {
	if comp == nil || !comp.cond {
		return true, nil
	}
	if ch.old != nil && ch.oldItem == nil {
		it, err := attr.DecodeItem(ch.old.data)
		if err != nil {
			return false, err
		}
		ch.oldItem = it
	}
	return comp.Condition(ch.oldItem)
}

// GetItem.

type getItemInput struct {
	TableName                *string           `json:"TableName"`
	Key                      attr.Item         `json:"Key"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
	ConsistentRead           *bool             `json:"ConsistentRead"`
	ReturnConsumedCapacity   *string           `json:"ReturnConsumedCapacity"`
	legacyFields
}

func opGetItem(s *Service, c *call) ([]byte, error) {
	var in getItemInput
	if err := decodeGet(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.Key == nil {
		v.add(nil, "key", "Member must not be null")
	}
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	var comp *cexpr
	if in.ProjectionExpression != nil || in.ExpressionAttributeNames != nil || in.legacyFields.present() != nil {
		comp, err = compile(exprSpec{proj: in.ProjectionExpression, names: in.ExpressionAttributeNames, legacy: &in.legacyFields, body: c.body})
		if err != nil {
			return nil, err
		}
	}
	key, err := t.checkKey(in.Key)
	if err != nil {
		return nil, err
	}
	consistent := in.ConsistentRead != nil && *in.ConsistentRead
	t.mu.RLock()
	e := t.get(key)
	var data []byte
	size := 0
	if e != nil {
		data, size = e.data, int(e.size)
	}
	capMode := str(in.ReturnConsumedCapacity)
	var cc *consumedCapacity
	if capMode == "TOTAL" || capMode == "INDEXES" {
		cc = t.capacity(capMode, readUnits(size, consistent), false, nil)
	}
	t.mu.RUnlock()
	// data is never mutated in place (a write installs a new slice), so
	// it is safe to use after the lock is released.
	b := make([]byte, 0, len(data)+32)
	b = append(b, '{')
	if data != nil {
		b = append(b, `"Item":`...)
		if comp != nil && comp.proj {
			it, err := attr.DecodeItem(data)
			if err != nil {
				return nil, err
			}
			b = attr.AppendItemJSON(b, comp.Project(it))
		} else {
			b = append(b, data...)
		}
	}
	if cc != nil {
		if data != nil {
			b = append(b, ',')
		}
		enc, _ := json.Marshal(cc)
		b = append(b, `"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}

// DeleteItem.

type deleteItemInput struct {
	TableName *string   `json:"TableName"`
	Key       attr.Item `json:"Key"`
	exprFields
	legacyFields
	writeOpts
}

func opDeleteItem(s *Service, c *call) ([]byte, error) {
	var in deleteItemInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.Key == nil {
		v.add(nil, "key", "Member must not be null")
	}
	in.writeOpts.validate(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if rv := str(in.ReturnValues); rv != "" && rv != "NONE" && rv != "ALL_OLD" {
		return nil, awsapi.ValidationError("ReturnValues can only be ALL_OLD or NONE")
	}
	t, err := s.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	comp, err := compile(exprSpec{cond: in.ConditionExpression, names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues,
		legacy: &in.legacyFields, body: c.body, op: "DeleteItem"})
	if err != nil {
		return nil, err
	}
	key, err := t.checkKey(in.Key)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errNotFound()
	}
	old := t.get(key)
	ch := &change{t: t, key: key, old: old}
	if ok, err := evalCondition(comp, ch); err != nil {
		return nil, err
	} else if !ok {
		return nil, condFailed(t, in.ReturnValuesOnConditionCheckFailure, old)
	}
	out := writeOutput{}
	units := 1.0
	if old != nil {
		if str(in.ReturnValues) == "ALL_OLD" {
			out.Attributes = old.data
		}
		units = writeUnits(int(old.size))
		if ch.oldItem == nil && (t.needOld() || str(in.ReturnItemCollectionMetrics) == "SIZE") {
			if ch.oldItem, err = attr.DecodeItem(old.data); err != nil {
				return nil, err
			}
		}
	}
	if err := s.commit(ch, "DeleteItem", c.traceID, false); err != nil {
		return nil, err
	}
	out.ConsumedCapacity = t.capacity(str(in.ReturnConsumedCapacity), units, true, ch.indexUnits())
	out.ItemCollectionMetrics = t.collectionMetrics(in.ReturnItemCollectionMetrics, in.Key)
	return marshal(out)
}

// UpdateItem.

type updateItemInput struct {
	TableName        *string   `json:"TableName"`
	Key              attr.Item `json:"Key"`
	UpdateExpression *string   `json:"UpdateExpression"`
	exprFields
	legacyFields
	writeOpts
}

func opUpdateItem(s *Service, c *call) ([]byte, error) {
	var in updateItemInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.Key == nil {
		v.add(nil, "key", "Member must not be null")
	}
	in.writeOpts.validate(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	comp, err := compile(exprSpec{update: in.UpdateExpression, cond: in.ConditionExpression, names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues,
		legacy: &in.legacyFields, body: c.body, op: "UpdateItem"})
	if err != nil {
		return nil, err
	}
	key, err := t.checkKey(in.Key)
	if err != nil {
		return nil, err
	}
	if err := checkUpdatesKey(t, comp); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errNotFound()
	}
	ch, err := s.prepareUpdate(t, key, in.Key, comp)
	if err != nil {
		return nil, err
	}
	if ok, err := evalCondition(comp, ch); err != nil {
		return nil, err
	} else if !ok {
		return nil, condFailed(t, in.ReturnValuesOnConditionCheckFailure, ch.old)
	}
	if err := applyUpdate(t, ch, in.Key, comp); err != nil {
		return nil, err
	}
	out := writeOutput{Attributes: returnValues(str(in.ReturnValues), ch, comp)}
	units := writeUnits(ch.newSize)
	if ch.old != nil && int(ch.old.size) > ch.newSize {
		units = writeUnits(int(ch.old.size))
	}
	if ch.newItem != nil {
		if err := s.commit(ch, "UpdateItem", c.traceID, false); err != nil {
			return nil, err
		}
	}
	out.ConsumedCapacity = t.capacity(str(in.ReturnConsumedCapacity), units, true, ch.indexUnits())
	out.ItemCollectionMetrics = t.collectionMetrics(in.ReturnItemCollectionMetrics, in.Key)
	return marshal(out)
}

// checkUpdatesKey rejects an update that touches a key attribute.
func checkUpdatesKey(t *table, comp *cexpr) error {
	if comp == nil || !comp.update {
		return nil
	}
	for _, p := range comp.UpdatedPaths() {
		for _, k := range t.meta.Key.names() {
			if p == k {
				return invalid("Cannot update attribute %s. This attribute is part of the key", k)
			}
		}
	}
	return nil
}

// prepareUpdate loads the current item for an update. Caller holds t.mu.
func (s *Service) prepareUpdate(t *table, key string, keyItem attr.Item, comp *cexpr) (*change, error) {
	ch := &change{t: t, key: key, old: t.get(key)}
	if ch.old != nil {
		it, err := attr.DecodeItem(ch.old.data)
		if err != nil {
			return nil, err
		}
		ch.oldItem = it
	}
	return ch, nil
}

// applyUpdate computes the new item of an update into ch; ch.newItem stays
// nil when the update must not create the item (only REMOVE/DELETE on a
// missing item).
func applyUpdate(t *table, ch *change, keyItem attr.Item, comp *cexpr) error {
	base := ch.oldItem
	if base == nil {
		base = attr.Item{}
		for k, v := range keyItem {
			base[k] = v
		}
	}
	var newItem attr.Item
	if comp != nil && comp.update {
		var err error
		newItem, err = comp.Apply(base)
		if err != nil {
			return err
		}
		if ch.oldItem == nil && comp.OnlyRemoves() {
			return nil // REMOVE/DELETE alone do not create a missing item
		}
	} else {
		newItem = base
	}
	if err := t.checkIndexKeys(newItem); err != nil {
		return err
	}
	data, size, err := encodeItem(newItem, "Item size to update has exceeded the maximum allowed size")
	if err != nil {
		return err
	}
	ch.newItem, ch.newData, ch.newSize = newItem, data, size
	return nil
}

// returnValues renders UpdateItem's Attributes for rv.
func returnValues(rv string, ch *change, comp *cexpr) json.RawMessage {
	var src attr.Item
	switch rv {
	case "ALL_OLD", "UPDATED_OLD":
		src = ch.oldItem
	case "ALL_NEW", "UPDATED_NEW":
		src = ch.newItem
	default:
		return nil
	}
	if src == nil {
		return nil
	}
	if rv == "UPDATED_OLD" || rv == "UPDATED_NEW" {
		// Only the written paths, nested as in the item (reference §6.3).
		if comp == nil || !comp.update {
			return nil
		}
		src = comp.ProjectUpdated(src)
		if len(src) == 0 {
			return nil
		}
	}
	return attr.AppendItemJSON(nil, src)
}
