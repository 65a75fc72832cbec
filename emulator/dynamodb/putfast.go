package dynamodb

import (
	"encoding/json"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// PutItem's body is read in one pass on the common path: encoding/json
// would check the whole body, then skip over the Item to find its end,
// then hand it to the attribute decoder, and the decoded item would then
// be encoded again for storage. decodePutFast walks the body once, decodes
// the Item where it stands and keeps its bytes, which are stored as they
// are when they already are the canonical encoding up to member order
// (what the SDKs send).
// Anything unusual (legacy members, unknown or null members, any error)
// makes it report false, and the request takes the general decoder, which
// gives DynamoDB's exact error.

// putRaw is what the fast path learns about the Item beyond its value.
type putRaw struct {
	data []byte    // the Item's bytes in the body
	form attr.Form // how data compares with attr.AppendItemJSON(Item)
}

func decodePutFast(body []byte, in *putItemInput) (putRaw, bool) {
	var pr putRaw
	r := attr.NewBody(body)
	err := r.Members(func(name string) error {
		var err error
		switch name {
		case "TableName":
			in.TableName, err = r.StringPtr()
		case "Item":
			in.Item, pr.data, pr.form, err = r.Item()
		case "ConditionExpression":
			in.ConditionExpression, err = r.StringPtr()
		case "ExpressionAttributeNames":
			in.ExpressionAttributeNames, err = r.StringMap()
		case "ExpressionAttributeValues":
			var m map[string][]byte
			m, err = r.RawObject()
			if err == nil {
				in.ExpressionAttributeValues = make(map[string]json.RawMessage, len(m))
				for k, v := range m {
					in.ExpressionAttributeValues[k] = v
				}
			}
		case "ReturnValues":
			in.ReturnValues, err = r.StringPtr()
		case "ReturnValuesOnConditionCheckFailure":
			in.ReturnValuesOnConditionCheckFailure, err = r.StringPtr()
		case "ReturnConsumedCapacity":
			in.ReturnConsumedCapacity, err = r.StringPtr()
		case "ReturnItemCollectionMetrics":
			in.ReturnItemCollectionMetrics, err = r.StringPtr()
		default:
			err = attr.ErrSlowPath
		}
		return err
	})
	return pr, err == nil
}

// decodePut decodes a PutItem body, on the fast path when it can.
func decodePut(body []byte, in *putItemInput) (putRaw, error) {
	if pr, ok := decodePutFast(body, in); ok {
		return pr, nil
	}
	*in = putItemInput{}
	return putRaw{}, decode(body, in)
}

// encodePut returns the stored form and size of a PutItem's item, reusing
// the request's bytes when they are the canonical encoding up to member
// order. The SDKs send exactly that, with members in whatever order their
// maps give (aws-sdk-go-v2 ranges over Go maps), and no reader of the
// stored bytes depends on the order: they are decoded, or returned as JSON.
func encodePut(it attr.Item, pr putRaw, msg string) ([]byte, int, error) {
	if pr.form == attr.Rewritten || it == nil {
		return encodeItem(it, msg)
	}
	size := attr.ItemSize(it)
	if size > maxItemBytes {
		return encodeItem(it, msg) // reports the limit
	}
	return append(make([]byte, 0, len(pr.data)), pr.data...), size, nil
}
