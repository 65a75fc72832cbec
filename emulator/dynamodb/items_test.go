package dynamodb

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type av = types.AttributeValue

func sv(s string) av { return &types.AttributeValueMemberS{Value: s} }
func nv(s string) av { return &types.AttributeValueMemberN{Value: s} }

func TestItemValidation(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustRaw(t, "CreateTable", `{"TableName":"items","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],
		"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST",
		"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`)
	e.mustRaw(t, "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"5"}}}`)
	big := strings.Repeat("x", 410000)
	runErrorCases(t, e, []errorCase{
		{"missing table", "PutItem", `{"TableName":"nope","Item":{"pk":{"S":"a"}}}`, tNotFound, "Requested resource not found"},
		{"missing key attr", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"}}}`, tValidation, "One or more parameter values were invalid: Missing the key sk in the item"},
		{"key type mismatch", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"S":"1"}}}`, tValidation, "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"},
		{"empty string key", "PutItem", `{"TableName":"items","Item":{"pk":{"S":""},"sk":{"N":"1"}}}`, tValidation, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{"index key type", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"N":"1"}}}`, tValidation, "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG"},
		{"hash key too long", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"` + strings.Repeat("k", 2049) + `"},"sk":{"N":"1"}}}`, tValidation, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"},
		{"item too large", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"big":{"S":"` + big + `"}}}`, tValidation, "One or more parameter values were invalid: Item size has exceeded the maximum allowed size"},
		{"empty attribute value", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"x":{}}}`, tValidation, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"bad return values", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnValues":"ALL_NEW"}`, tValidation, "ReturnValues can only be ALL_OLD or NONE"},
		{"get key mismatch", "GetItem", `{"TableName":"items","Key":{"pk":{"S":"a"}}}`, tValidation, "The provided key element does not match the schema"},
		{"get extra key attr", "GetItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"},"x":{"S":"y"}}}`, tValidation, "The provided key element does not match the schema"},
		{"condition failed", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)"}`, tCCF, "The conditional request failed"},
		{"update key attr", "UpdateItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET pk = :v","ExpressionAttributeValues":{":v":{"S":"b"}}}`, tValidation,
			"One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
		{"empty condition", "DeleteItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":""}`, tValidation, "Invalid ConditionExpression: The expression can not be empty;"},
		{"unused value", "DeleteItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_exists(pk)","ExpressionAttributeValues":{":x":{"S":"b"}}}`, tValidation,
			"Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"},
		{"invalid value", "DeleteItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"v = :x","ExpressionAttributeValues":{":x":{"N":"abc"}}}`, tValidation,
			"ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: abc for key :x"},
		{"mixed legacy", "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_exists(pk)","Expected":{"pk":{"Exists":false}}}`, tValidation,
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"},
		{"update too large", "UpdateItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET big = :b","ExpressionAttributeValues":{":b":{"S":"` + big + `"}}}`, tValidation,
			"Item size to update has exceeded the maximum allowed size"},
		{"add to string", "UpdateItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"ADD v :s","ExpressionAttributeValues":{":s":{"S":"b"}}}`, tValidation,
			"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
	})
	// ReturnValuesOnConditionCheckFailure brings the current item back.
	st, out := e.raw(t, "PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`)
	if st != 400 || out["Item"] == nil {
		t.Fatalf("no Item in ConditionalCheckFailedException: %v", out)
	}
	_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: map[string]av{"pk": sv("a"), "sk": nv("1")},
		ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || ccf.Item["v"].(*types.AttributeValueMemberN).Value != "5" {
		t.Fatalf("SDK ConditionalCheckFailedException.Item: %v", err)
	}
}

func TestItemCRUD(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "crud", true, "")
	tbl := aws.String("crud")
	key := map[string]av{"pk": sv("u1"), "sk": nv("10")}
	type rec struct {
		PK   string         `dynamodbav:"pk"`
		SK   int            `dynamodbav:"sk"`
		Name string         `dynamodbav:"name"`
		Tags []string       `dynamodbav:"tags,stringset"`
		Meta map[string]any `dynamodbav:"meta"`
		Cnt  int            `dynamodbav:"cnt"`
	}
	item, err := attributevalue.MarshalMap(rec{PK: "u1", SK: 10, Name: "ann", Tags: []string{"a", "b"}, Meta: map[string]any{"x": 1.5, "l": []any{"p", true, nil}}, Cnt: 1})
	if err != nil {
		t.Fatal(err)
	}
	put, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: item, ReturnValues: types.ReturnValueAllOld, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if put.Attributes != nil || put.ConsumedCapacity == nil || *put.ConsumedCapacity.CapacityUnits != 1 || *put.ConsumedCapacity.TableName != "crud" {
		t.Fatalf("put output %+v", put)
	}
	get, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	if err := attributevalue.UnmarshalMap(get.Item, &got); err != nil || got.Name != "ann" || len(got.Tags) != 2 || got.Meta["x"] != 1.5 {
		t.Fatalf("get %+v %v", got, err)
	}
	proj, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: key, ProjectionExpression: aws.String("#n, meta.l[0]"), ExpressionAttributeNames: map[string]string{"#n": "name"}})
	if err != nil || len(proj.Item) != 2 || proj.Item["meta"].(*types.AttributeValueMemberM).Value["l"].(*types.AttributeValueMemberL).Value[0].(*types.AttributeValueMemberS).Value != "p" {
		t.Fatalf("projection %+v %v", proj.Item, err)
	}
	miss, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: map[string]av{"pk": sv("nobody"), "sk": nv("1")}})
	if err != nil || miss.Item != nil {
		t.Fatalf("missing item %+v %v", miss, err)
	}
	// UpdateItem with every ReturnValues.
	cases := []struct {
		rv   types.ReturnValue
		want string // attribute names returned, sorted
	}{
		{types.ReturnValueNone, ""},
		{types.ReturnValueAllOld, "cnt meta name pk sk tags"},
		{types.ReturnValueUpdatedOld, "cnt"},
		{types.ReturnValueAllNew, "cnt meta name nw pk sk tags"},
		{types.ReturnValueUpdatedNew, "cnt nw"},
	}
	for i, tc := range cases {
		expr := "SET cnt = cnt + :one"
		if i >= 3 {
			expr = "SET cnt = cnt + :one, nw = :one"
		}
		up, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: key, UpdateExpression: aws.String(expr),
			ExpressionAttributeValues: map[string]av{":one": nv("1")}, ReturnValues: tc.rv})
		if err != nil {
			t.Fatalf("%s: %v", tc.rv, err)
		}
		if got := sortedKeys(up.Attributes); got != tc.want {
			t.Errorf("ReturnValues %s gave %q, want %q", tc.rv, got, tc.want)
		}
	}
	get, _ = e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: key})
	if get.Item["cnt"].(*types.AttributeValueMemberN).Value != "6" {
		t.Errorf("cnt = %v, want 6", get.Item["cnt"])
	}
	// UpdateItem on a missing item creates it; REMOVE alone does not.
	if _, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]av{"pk": sv("u2"), "sk": nv("1")}, UpdateExpression: aws.String("REMOVE x")}); err != nil {
		t.Fatal(err)
	}
	if g, _ := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: map[string]av{"pk": sv("u2"), "sk": nv("1")}}); g.Item != nil {
		t.Error("REMOVE on a missing item created it")
	}
	up, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]av{"pk": sv("u2"), "sk": nv("1")}, UpdateExpression: aws.String("ADD c :n"),
		ExpressionAttributeValues: map[string]av{":n": nv("3")}, ReturnValues: types.ReturnValueAllNew})
	if err != nil || up.Attributes["c"].(*types.AttributeValueMemberN).Value != "3" {
		t.Fatalf("ADD on a missing item: %+v %v", up, err)
	}
	// Conditional update fails, then succeeds.
	_, err = e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: key, UpdateExpression: aws.String("SET #n = :n"), ConditionExpression: aws.String("cnt > :lim"),
		ExpressionAttributeNames: map[string]string{"#n": "name"}, ExpressionAttributeValues: map[string]av{":n": sv("bob"), ":lim": nv("100")}})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("want ConditionalCheckFailedException, got %v", err)
	}
	// DeleteItem with ALL_OLD, then of a missing key.
	del, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tbl, Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || del.Attributes["name"].(*types.AttributeValueMemberS).Value != "ann" {
		t.Fatalf("delete %+v %v", del, err)
	}
	del, err = e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tbl, Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || del.Attributes != nil {
		t.Fatalf("delete missing %+v %v", del, err)
	}
}

func sortedKeys(m map[string]av) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return strings.Join(ks, " ")
}
