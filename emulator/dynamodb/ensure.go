package dynamodb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// EnsureTable creates a table from the project model unless one with that
// name exists already (an existing table keeps its data, keys and indexes).
// The model's stream and TTL are applied either way: a stream the project
// declares is enabled with the project's view type and label, so adding
// one to a table that already holds data works without deleting it.
func (s *Service) EnsureTable(ct *config.Table) error {
	if t := s.table(ct.Name); t == nil {
		in := createTableFromConfig(ct)
		if _, err := s.createTable(in); err != nil {
			if ae, ok := err.(*awsapi.Error); !ok || ae.Code != "ResourceInUseException" {
				return fmt.Errorf("create table %s: %w", ct.Name, err)
			}
		}
	}
	t := s.table(ct.Name)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := s.ensureStream(t, ct); err != nil {
		return fmt.Errorf("table %s: %w", ct.Name, err)
	}
	if ct.TTLAttribute == "" || t.meta.TTLEnabled && t.meta.TTLAttr == ct.TTLAttribute {
		return nil
	}
	t.meta.TTLEnabled, t.meta.TTLAttr = true, ct.TTLAttribute
	t.items.Scan(func(e *entry) bool {
		e.ttl = ttlOf(mustItem(e.data), ct.TTLAttribute)
		return true
	})
	return s.saveMeta(t)
}

// ensureStream gives t the stream the model declares, replacing a stream
// with another view type or label the way disabling and re-enabling it
// through UpdateTable would. A table the model declares without a stream
// keeps whatever stream it has. The caller holds t.mu.
func (s *Service) ensureStream(t *table, ct *config.Table) error {
	if ct.StreamView == "" {
		return nil
	}
	m := t.meta
	if m.StreamEnabled && m.StreamView == ct.StreamView && (ct.StreamLabel == "" || m.StreamLabel == ct.StreamLabel) {
		return nil
	}
	now := time.Now().UTC()
	label := ct.StreamLabel
	if label == "" {
		label = streamLabel(now)
	}
	m.beginStream(ct.StreamView, label, now, s.seq.peek()+1)
	old := t.meta
	t.meta = m
	if err := s.saveMeta(t); err != nil {
		t.meta = old
		return err
	}
	s.openStream(t, now)
	return nil
}

func ptr[T any](v T) *T { return &v }

func createTableFromConfig(ct *config.Table) *createTableInput {
	in := &createTableInput{TableName: ptr(ct.Name)}
	defs := map[string]string{}
	var order []string
	def := func(k config.KeyAttr) {
		if _, ok := defs[k.Name]; !ok {
			order = append(order, k.Name)
		}
		typ := k.Type
		if typ == "" {
			typ = "S"
		}
		defs[k.Name] = typ
	}
	keys := func(h config.KeyAttr, r *config.KeyAttr) []keySchemaElement {
		def(h)
		ks := []keySchemaElement{{AttributeName: ptr(h.Name), KeyType: ptr("HASH")}}
		if r != nil {
			def(*r)
			ks = append(ks, keySchemaElement{AttributeName: ptr(r.Name), KeyType: ptr("RANGE")})
		}
		return ks
	}
	in.KeySchema = keys(ct.HashKey, ct.RangeKey)
	billing := ct.BillingMode
	if billing == "" {
		billing = "PAY_PER_REQUEST"
	}
	in.BillingMode = ptr(billing)
	if billing == "PROVISIONED" {
		in.ProvisionedThroughput = &provisionedThroughput{ReadCapacityUnits: ptr(int64(5)), WriteCapacityUnits: ptr(int64(5))}
	}
	idx := func(ix *config.Index, global bool) indexInput {
		p := ix.Projection
		if p == "" {
			p = "ALL"
		}
		ii := indexInput{IndexName: ptr(ix.Name), KeySchema: keys(ix.HashKey, ix.RangeKey), Projection: &projection{ProjectionType: ptr(p), NonKeyAttributes: ix.NonKeyAttributes}}
		if global && billing == "PROVISIONED" {
			ii.ProvisionedThroughput = &provisionedThroughput{ReadCapacityUnits: ptr(int64(5)), WriteCapacityUnits: ptr(int64(5))}
		}
		return ii
	}
	if len(ct.LSIs) > 0 {
		var l []indexInput
		for _, ix := range ct.LSIs {
			l = append(l, idx(ix, false))
		}
		in.LocalSecondaryIndexes = &l
	}
	if len(ct.GSIs) > 0 {
		var l []indexInput
		for _, ix := range ct.GSIs {
			l = append(l, idx(ix, true))
		}
		in.GlobalSecondaryIndexes = &l
	}
	for _, n := range order {
		in.AttributeDefinitions = append(in.AttributeDefinitions, attributeDefinition{AttributeName: ptr(n), AttributeType: ptr(defs[n])})
	}
	if ct.StreamView != "" {
		in.StreamSpecification = &streamSpec{StreamEnabled: ptr(true), StreamViewType: ptr(ct.StreamView)}
	}
	return in
}

// Seed loads a JSON array of items into a table when the table is empty.
// Items may be DynamoDB JSON ({"id":{"S":"1"}}) or plain JSON ({"id":"1"});
// each item is checked like a PutItem.
func (s *Service) Seed(tableName, file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read seed file: %w", err)
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(raw, &docs); err != nil {
		return fmt.Errorf("seed file %s: want a JSON array of items: %w", file, err)
	}
	t := s.table(tableName)
	if t == nil {
		return fmt.Errorf("seed table %s: no such table", tableName)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.items.Len() > 0 {
		return nil
	}
	for i, d := range docs {
		it, err := attr.DecodeItem(d)
		if err != nil {
			// Not DynamoDB JSON: read it as plain JSON.
			var plain map[string]any
			dec := json.NewDecoder(bytesReader(d))
			dec.UseNumber()
			if perr := dec.Decode(&plain); perr != nil {
				return fmt.Errorf("seed file %s item %d: %w", file, i+1, perr)
			}
			it = attr.Item{}
			for k, v := range plain {
				if it[k], err = plainValue(v); err != nil {
					return fmt.Errorf("seed file %s item %d attribute %s: %w", file, i+1, k, err)
				}
			}
		}
		if err := t.checkItem(it); err != nil {
			return fmt.Errorf("seed file %s item %d: %w", file, i+1, err)
		}
		data, size, err := encodeItem(it, "Item size has exceeded the maximum allowed size")
		if err != nil {
			return fmt.Errorf("seed file %s item %d: %w", file, i+1, err)
		}
		key := t.meta.Key.keyOf(it)
		ch := &change{t: t, key: key, old: t.get(key), newItem: it, newData: data, newSize: size}
		if err := s.commit(ch, "Seed", "", false); err != nil {
			return err
		}
	}
	return nil
}

// plainValue converts a plain JSON value to an AttributeValue the way the
// SDKs' document marshalers do: string S, number N, bool BOOL, null NULL,
// array L, object M.
func plainValue(v any) (attr.Value, error) {
	switch x := v.(type) {
	case nil:
		return attr.Value{Kind: attr.NULL}, nil
	case bool:
		return attr.Value{Kind: attr.BOOL, Bool: x}, nil
	case string:
		return attr.Value{Kind: attr.S, Str: x}, nil
	case json.Number:
		n, err := attr.CanonicalNumber(x.String())
		if err != nil {
			return attr.Value{}, err
		}
		return attr.Value{Kind: attr.N, Str: n}, nil
	case []any:
		l := make([]attr.Value, 0, len(x))
		for _, e := range x {
			ev, err := plainValue(e)
			if err != nil {
				return attr.Value{}, err
			}
			l = append(l, ev)
		}
		return attr.Value{Kind: attr.L, List: l}, nil
	case map[string]any:
		m := make(map[string]attr.Value, len(x))
		for k, e := range x {
			ev, err := plainValue(e)
			if err != nil {
				return attr.Value{}, err
			}
			m[k] = ev
		}
		return attr.Value{Kind: attr.M, Map: m}, nil
	}
	return attr.Value{}, fmt.Errorf("unsupported JSON value %v", v)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
