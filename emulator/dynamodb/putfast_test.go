package dynamodb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/slsx/slsx/emulator/dynamodb/attr"

	"github.com/slsx/slsx/internal/wirebench"
)

var putBodies = []string{
	`{"TableName":"t1x","Item":{"pk":{"S":"a"},"n":{"N":"1"}}}`,
	`{"TableName":"t1x","Item":{"pk":{"S":"a"},"n":{"N":"1"},"m":{"M":{"z":{"S":"1"},"a":{"SS":["y","x"]}}}}}`,
	`{"Item":{"pk":{"S":"a"}},"TableName":"t1x","ReturnValues":"ALL_OLD","ReturnConsumedCapacity":"TOTAL","ReturnItemCollectionMetrics":"SIZE","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`,
	`{"TableName":"t1x","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_exists(#p) OR #v < :v","ExpressionAttributeNames":{"#p":"pk","#v":"v"},"ExpressionAttributeValues":{":v":{"N":"3"}}}`,
	` { "TableName" : "t1x" , "Item" : { "pk" : { "S" : "a\n" } } } `,
	`{"TableName":"t1x","Item":{"pk":{"S":"a"},"n":{"N":"01.50"},"b":{"B":"AAE="}}}`,
	`{"TableName":"t1x","TableName":"t2x","Item":{"pk":{"S":"a"}}}`,
	`{"TableName":"t1x","Item":{"pk":{"S":"a"}},"ExpressionAttributeValues":{}}`,
	// Shapes only the general decoder takes.
	`{"TableName":"t1x","Item":{"pk":{"S":"a"}},"Expected":{"pk":{"Exists":false}}}`,
	`{"tablename":"t1x","Item":{"pk":{"S":"a"}}}`,
	`{"TableName":null,"Item":{"pk":{"S":"a"}}}`,
	`{"TableName":"t1x","Item":{"pk":{}}}`,
	`{"TableName":5,"Item":{"pk":{"S":"a"}}}`,
	`{"TableName":"t1x","Item":{"pk":{"S":"a"}}`,
}

// TestDecodePutFastMatchesSlow checks that whenever the one-pass decoder
// accepts a PutItem body, it yields exactly what encoding/json does, and
// that the bytes it keeps for storage are the canonical encoding.
func TestDecodePutFastMatchesSlow(t *testing.T) {
	fast := 0
	for _, body := range putBodies {
		checkPutFast(t, []byte(body), &fast)
	}
	if fast < 8 {
		t.Errorf("fast path taken for %d bodies, want 8", fast)
	}
}

func checkPutFast(t *testing.T, body []byte, fast *int) {
	var a, b putItemInput
	pr, ok := decodePutFast(body, &a)
	if !ok {
		return
	}
	*fast++
	if err := decode(body, &b); err != nil {
		t.Fatalf("%s: fast path accepted what encoding/json rejects: %v", body, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s:\nfast %+v\nslow %+v", body, a, b)
	}
	enc := attr.AppendItemJSON(nil, a.Item)
	switch pr.form {
	case attr.Canonical:
		if !bytes.Equal(pr.data, enc) {
			t.Fatalf("%s: kept bytes %s are not canonical", body, pr.data)
		}
	case attr.Unordered:
		var x, y any
		if json.Unmarshal(pr.data, &x) != nil || json.Unmarshal(enc, &y) != nil || !reflect.DeepEqual(x, y) {
			t.Fatalf("%s: kept bytes %s do not say %s", body, pr.data, enc)
		}
	}
}

func FuzzDecodePut(f *testing.F) {
	for _, b := range putBodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n := 0
		checkPutFast(t, []byte(body), &n)
	})
}

// TestPutItemStoredForm checks that items written through either path
// read back in canonical form.
func TestPutItemStoredForm(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "t1x", false, "")
	for _, body := range putBodies[:6] {
		var in putItemInput
		if err := decode([]byte(body), &in); err != nil {
			t.Fatal(err)
		}
		e.mustRaw(t, "PutItem", body)
		key := string(attr.AppendItemJSON(nil, attr.Item{"pk": in.Item["pk"]}))
		got := e.mustRaw(t, "GetItem", `{"TableName":"t1x","Key":`+key+`}`)["Item"]
		var want any
		if err := json.Unmarshal(attr.AppendItemJSON(nil, in.Item), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stored %v, want %v", body, got, want)
		}
		// And the SDK reads it.
		if _, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t1x"), Key: map[string]av{"pk": sv(in.Item["pk"].Str)}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPutSameItemOtherOrder checks that a PutItem of the item already
// stored, with its members in another order (as the Go SDK sends them),
// changes nothing: no stream record, as DynamoDB writes none for a write
// that leaves the item as it was.
func TestPutSameItemOtherOrder(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "ord", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}`)
	e.mustRaw(t, "PutItem", `{"TableName":"ord","Item":{"pk":{"S":"a"},"v":{"N":"1"},"s":{"SS":["x","y"]},"m":{"M":{"p":{"S":"1"},"q":{"S":"2"}}}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"ord","Item":{"m":{"M":{"q":{"S":"2"},"p":{"S":"1"}}},"s":{"SS":["y","x"]},"v":{"N":"1"},"pk":{"S":"a"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"ord","Item":{"m":{"M":{"q":{"S":"2"},"p":{"S":"1"}}},"s":{"SS":["y","x"]},"v":{"N":"2"},"pk":{"S":"a"}}}`) // same length, new value
	ls, err := e.st.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("ord")})
	if err != nil || len(ls.Streams) != 1 {
		t.Fatalf("ListStreams %+v %v", ls, err)
	}
	ds, err := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: ls.Streams[0].StreamArn})
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: ls.Streams[0].StreamArn,
		ShardId: ds.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range gr.Records {
		names = append(names, string(r.EventName))
	}
	if fmt.Sprint(names) != "[INSERT MODIFY]" {
		t.Errorf("records %v, want [INSERT MODIFY]", names)
	}
}

// TestSDKPutTakesFastPath checks that what aws-sdk-go-v2 sends for a
// PutItem takes the one-pass path and keeps its item bytes, whatever order
// the SDK's maps come out in.
func TestSDKPutTakesFastPath(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "sdkfast", false, "")
	var body []byte
	db := dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(e.url)
		o.HTTPClient = &http.Client{Transport: wirebench.Capture(func(req []byte) {
			_, body, _ = bytes.Cut(req, []byte("\r\n\r\n"))
		})}
	})
	for i := 0; i < 10; i++ {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sdkfast"),
			Item: map[string]av{"pk": sv(fmt.Sprint(i)), "n": nv("12.5"), "tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
				"m": &types.AttributeValueMemberM{Value: map[string]av{"x": sv("1"), "y": &types.AttributeValueMemberL{Value: []av{nv("1"), &types.AttributeValueMemberBOOL{Value: true}}}}},
				"z": &types.AttributeValueMemberNULL{Value: true}},
			ConditionExpression:       aws.String("attribute_not_exists(#p) OR #n < :n"),
			ExpressionAttributeNames:  map[string]string{"#p": "pk", "#n": "n"},
			ExpressionAttributeValues: map[string]av{":n": nv("1")},
			ReturnValues:              types.ReturnValueAllOld, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
		if err != nil {
			t.Fatal(err)
		}
		var in putItemInput
		pr, ok := decodePutFast(body, &in)
		if !ok || pr.form == attr.Rewritten {
			t.Fatalf("SDK body %s: fast path %v, form %d", body, ok, pr.form)
		}
	}
}

var getBodies = []string{
	`{"TableName":"t1x","Key":{"pk":{"S":"a"}}}`,
	`{"Key":{"pk":{"S":"a"}},"TableName":"t1x","ConsistentRead":true,"ReturnConsumedCapacity":"TOTAL"}`,
	`{"TableName":"t1x","Key":{"pk":{"S":"a"}},"ProjectionExpression":"#a, b.c[1]","ExpressionAttributeNames":{"#a":"a"},"ConsistentRead":false}`,
	` { "TableName" : "t1x" , "Key" : { "pk" : { "N" : "1.50" } } } `,
	// Shapes only the general decoder takes.
	`{"TableName":"t1x","Key":{"pk":{"S":"a"}},"AttributesToGet":["a"]}`,
	`{"TableName":"t1x","Key":{"pk":{"S":"a"}},"ConsistentRead":null}`,
	`{"TableName":"t1x","Key":{"pk":{"S":"a"}},"ConsistentRead":"true"}`,
	`{"TableName":"t1x","Key":null}`,
}

// TestDecodeGetFastMatchesSlow is TestDecodePutFastMatchesSlow for GetItem.
func TestDecodeGetFastMatchesSlow(t *testing.T) {
	fast := 0
	for _, body := range getBodies {
		checkGetFast(t, []byte(body), &fast)
	}
	if fast != 4 {
		t.Errorf("fast path taken for %d bodies, want 4", fast)
	}
}

func checkGetFast(t *testing.T, body []byte, fast *int) {
	var a, b getItemInput
	if !decodeGetFast(body, &a) {
		return
	}
	*fast++
	if err := decode(body, &b); err != nil {
		t.Fatalf("%s: fast path accepted what encoding/json rejects: %v", body, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s:\nfast %+v\nslow %+v", body, a, b)
	}
}

func FuzzDecodeGet(f *testing.F) {
	for _, b := range getBodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n := 0
		checkGetFast(t, []byte(body), &n)
	})
}
