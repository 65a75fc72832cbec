package dynamodb

import (
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Key size limits (reference §3.4).
const (
	maxHashKeyBytes  = 2048
	maxRangeKeyBytes = 1024
	maxItemBytes     = 400 * 1024
)

func keyLen(v attr.Value) int {
	switch v.Kind {
	case attr.S:
		return len(v.Str)
	case attr.B:
		return len(v.Bin)
	}
	return 0
}

func emptyKeyErr(name string, v attr.Value) error {
	if v.Kind == attr.B {
		return awsapi.ValidationError("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
	}
	return awsapi.ValidationError("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
}

func checkKeySizes(k *keySchema, it attr.Item) error {
	if keyLen(it[k.Hash]) > maxHashKeyBytes {
		return invalid("Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if k.Range != "" && keyLen(it[k.Range]) > maxRangeKeyBytes {
		return invalid("Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// checkItem validates a full item's table and index keys (PutItem, batch
// puts, transactional puts, and the result of an update).
func (t *table) checkItem(it attr.Item) error {
	k := &t.meta.Key
	for _, a := range []struct{ name, typ string }{{k.Hash, k.HashType}, {k.Range, k.RangeType}} {
		if a.name == "" {
			continue
		}
		v, ok := it[a.name]
		if !ok {
			return invalid("Missing the key %s in the item", a.name)
		}
		if v.Kind.String() != a.typ {
			return invalid("Type mismatch for key %s expected: %s actual: %s", a.name, a.typ, v.Kind)
		}
		if (v.Kind == attr.S || v.Kind == attr.B) && keyLen(v) == 0 {
			return emptyKeyErr(a.name, v)
		}
	}
	if err := checkKeySizes(k, it); err != nil {
		return err
	}
	return t.checkIndexKeys(it)
}

func (t *table) checkIndexKeys(it attr.Item) error {
	for _, ix := range t.indexes {
		k := &ix.meta.Key
		for _, a := range []struct{ name, typ string }{{k.Hash, k.HashType}, {k.Range, k.RangeType}} {
			if a.name == "" {
				continue
			}
			v, ok := it[a.name]
			if !ok {
				continue
			}
			if v.Kind.String() != a.typ {
				return invalid("Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", a.name, a.typ, v.Kind, ix.meta.Name)
			}
			if (v.Kind == attr.S || v.Kind == attr.B) && keyLen(v) == 0 {
				return awsapi.ValidationError("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.meta.Name, a.name)
			}
		}
		if keyLen(it[k.Hash]) > maxHashKeyBytes {
			return invalid("Size of hashkey has exceeded the maximum size limit of2048 bytes")
		}
		if k.Range != "" && keyLen(it[k.Range]) > maxRangeKeyBytes {
			return invalid("Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
		}
	}
	return nil
}

// checkKey validates a Key member against the table's schema and returns
// its composite storage key.
func (t *table) checkKey(key attr.Item) (string, error) {
	k := &t.meta.Key
	want := 1
	if k.Range != "" {
		want = 2
	}
	if len(key) != want {
		return "", awsapi.ValidationError("The provided key element does not match the schema")
	}
	for _, a := range []struct{ name, typ string }{{k.Hash, k.HashType}, {k.Range, k.RangeType}} {
		if a.name == "" {
			continue
		}
		v, ok := key[a.name]
		if !ok || v.Kind.String() != a.typ {
			return "", awsapi.ValidationError("The provided key element does not match the schema")
		}
		if keyLen(v) == 0 && v.Kind != attr.N {
			return "", emptyKeyErr(a.name, v)
		}
	}
	if err := checkKeySizes(k, key); err != nil {
		return "", err
	}
	return k.keyOf(key), nil
}
