package dynamodb

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

const lsiTable = `{"TableName":"coll","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"l1","AttributeType":"S"},{"AttributeName":"l2","AttributeType":"S"}],
	"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST",
	"LocalSecondaryIndexes":[
		{"IndexName":"all","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l1","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},
		{"IndexName":"keys","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l2","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["inc"]}}]}`

// TestCollectionBytes checks the item collection size against the
// DynamoDB sizes of its items and LSI entries.
func TestCollectionBytes(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustRaw(t, "CreateTable", lsiTable)
	e.mustRaw(t, "PutItem", `{"TableName":"coll","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"l1":{"S":"x"},"l2":{"S":"y"},"inc":{"S":"12345"},"other":{"S":"0123456789"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"coll","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"other":{"S":"sparse"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"coll","Item":{"pk":{"S":"b"},"sk":{"N":"1"},"l1":{"S":"x"}}}`)
	item1 := attr.Item{"pk": {Kind: attr.S, Str: "a"}, "sk": {Kind: attr.N, Str: "1"}, "l1": {Kind: attr.S, Str: "x"}, "l2": {Kind: attr.S, Str: "y"},
		"inc": {Kind: attr.S, Str: "12345"}, "other": {Kind: attr.S, Str: "0123456789"}}
	item2 := attr.Item{"pk": {Kind: attr.S, Str: "a"}, "sk": {Kind: attr.N, Str: "2"}, "other": {Kind: attr.S, Str: "sparse"}}
	// item1 is in both LSIs (all attributes in "all"; keys, l2 and inc in
	// "keys"); item2 lacks both LSI sort keys; pk "b" is another collection.
	inKeys := attr.Item{"pk": item1["pk"], "sk": item1["sk"], "l2": item1["l2"], "inc": item1["inc"]}
	want := int64(attr.ItemSize(item1) + attr.ItemSize(item2) + attr.ItemSize(item1) + 100 + attr.ItemSize(inKeys) + 100)
	tb := e.s.table("coll")
	tb.mu.RLock()
	got := tb.collectionBytes(attr.Value{Kind: attr.S, Str: "a"})
	tb.mu.RUnlock()
	if got != want {
		t.Errorf("collection a: %d bytes, want %d", got, want)
	}
	for _, tc := range []struct {
		n    int64
		want [2]float64
	}{{0, [2]float64{0, 1}}, {gib - 1, [2]float64{0, 1}}, {gib, [2]float64{1, 2}}, {10*gib + 5, [2]float64{10, 11}}} {
		if r := sizeRangeGB(tc.n); r != tc.want {
			t.Errorf("sizeRangeGB(%d) = %v, want %v", tc.n, r, tc.want)
		}
	}
}

// TestItemCollectionMetrics checks ReturnItemCollectionMetrics=SIZE on
// every write API through aws-sdk-go-v2: present with the partition key on
// a table with an LSI, absent without one.
func TestItemCollectionMetrics(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustRaw(t, "CreateTable", lsiTable)
	e.createSimple(t, "nolsi", true, "")
	size := types.ReturnItemCollectionMetricsSize
	key := func(pk, sk string) map[string]av { return map[string]av{"pk": sv(pk), "sk": nv(sk)} }
	check := func(t *testing.T, m *types.ItemCollectionMetrics, pk string) {
		t.Helper()
		if m == nil {
			t.Fatal("no ItemCollectionMetrics")
		}
		if len(m.ItemCollectionKey) != 1 || m.ItemCollectionKey["pk"].(*types.AttributeValueMemberS).Value != pk {
			t.Errorf("ItemCollectionKey = %v, want pk %s", m.ItemCollectionKey, pk)
		}
		if len(m.SizeEstimateRangeGB) != 2 || m.SizeEstimateRangeGB[0] != 0 || m.SizeEstimateRangeGB[1] != 1 {
			t.Errorf("SizeEstimateRangeGB = %v, want [0 1]", m.SizeEstimateRangeGB)
		}
	}
	item := map[string]av{"pk": sv("a"), "sk": nv("1"), "l1": sv("x")}
	put, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("coll"), Item: item, ReturnItemCollectionMetrics: size})
	if err != nil {
		t.Fatal(err)
	}
	check(t, put.ItemCollectionMetrics, "a")
	upd, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("coll"), Key: key("a", "1"), UpdateExpression: aws.String("SET v = :v"),
		ExpressionAttributeValues: map[string]av{":v": sv("1")}, ReturnItemCollectionMetrics: size})
	if err != nil {
		t.Fatal(err)
	}
	check(t, upd.ItemCollectionMetrics, "a")
	del, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("coll"), Key: key("a", "1"), ReturnItemCollectionMetrics: size})
	if err != nil {
		t.Fatal(err)
	}
	check(t, del.ItemCollectionMetrics, "a")

	bw, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{ReturnItemCollectionMetrics: size, RequestItems: map[string][]types.WriteRequest{
		"coll": {
			{PutRequest: &types.PutRequest{Item: map[string]av{"pk": sv("b"), "sk": nv("1")}}},
			{PutRequest: &types.PutRequest{Item: map[string]av{"pk": sv("b"), "sk": nv("2")}}},
			{DeleteRequest: &types.DeleteRequest{Key: key("c", "1")}},
		},
		"nolsi": {{PutRequest: &types.PutRequest{Item: map[string]av{"pk": sv("b"), "sk": nv("1")}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bw.ItemCollectionMetrics) != 1 || len(bw.ItemCollectionMetrics["coll"]) != 2 {
		t.Fatalf("BatchWriteItem ItemCollectionMetrics = %v, want two collections of coll", bw.ItemCollectionMetrics)
	}
	check(t, &bw.ItemCollectionMetrics["coll"][0], "b")
	check(t, &bw.ItemCollectionMetrics["coll"][1], "c")

	tw, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ReturnItemCollectionMetrics: size, TransactItems: []types.TransactWriteItem{
		txPutItem("coll", map[string]av{"pk": sv("d"), "sk": nv("1")}),
		{Update: &types.Update{TableName: aws.String("coll"), Key: key("b", "1"), UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]av{":v": sv("1")}}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("coll"), Key: key("e", "1"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		txPutItem("nolsi", map[string]av{"pk": sv("d"), "sk": nv("1")}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tw.ItemCollectionMetrics) != 1 || len(tw.ItemCollectionMetrics["coll"]) != 2 {
		t.Fatalf("TransactWriteItems ItemCollectionMetrics = %v, want the collections d and b of coll", tw.ItemCollectionMetrics)
	}
	check(t, &tw.ItemCollectionMetrics["coll"][0], "d")
	check(t, &tw.ItemCollectionMetrics["coll"][1], "b")

	// Tables without an LSI report nothing; NONE reports nothing.
	np, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("nolsi"), Item: key("a", "1"), ReturnItemCollectionMetrics: size})
	if err != nil || np.ItemCollectionMetrics != nil {
		t.Errorf("table without LSI: %v %v", np.ItemCollectionMetrics, err)
	}
	nn, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("coll"), Item: item})
	if err != nil || nn.ItemCollectionMetrics != nil {
		t.Errorf("no SIZE: %v %v", nn.ItemCollectionMetrics, err)
	}
}
