package dynamodb

import "github.com/slsx/slsx/emulator/dynamodb/attr"

// decodeGetFast reads a GetItem body in one pass, like decodePutFast;
// false sends it to the general decoder.
func decodeGetFast(body []byte, in *getItemInput) bool {
	r := attr.NewBody(body)
	err := r.Members(func(name string) error {
		var err error
		switch name {
		case "TableName":
			in.TableName, err = r.StringPtr()
		case "Key":
			in.Key, _, _, err = r.Item()
		case "ProjectionExpression":
			in.ProjectionExpression, err = r.StringPtr()
		case "ExpressionAttributeNames":
			in.ExpressionAttributeNames, err = r.StringMap()
		case "ConsistentRead":
			var b bool
			b, err = r.Bool()
			in.ConsistentRead = &b
		case "ReturnConsumedCapacity":
			in.ReturnConsumedCapacity, err = r.StringPtr()
		default:
			err = attr.ErrSlowPath
		}
		return err
	})
	return err == nil
}

// decodeGet decodes a GetItem body, on the fast path when it can.
func decodeGet(body []byte, in *getItemInput) error {
	if decodeGetFast(body, in) {
		return nil
	}
	*in = getItemInput{}
	return decode(body, in)
}
