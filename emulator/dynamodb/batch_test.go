package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestBatch(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "ba1", false, "")
	e.createSimple(t, "ba2", true, "")
	var writes []types.WriteRequest
	for i := 0; i < 20; i++ {
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]av{"pk": sv(fmt.Sprint(i)), "v": nv(fmt.Sprint(i))}}})
	}
	bw, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"ba1": writes,
		"ba2": {{PutRequest: &types.PutRequest{Item: map[string]av{"pk": sv("x"), "sk": nv("1")}}}},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if len(bw.UnprocessedItems) != 0 || len(bw.ConsumedCapacity) != 2 {
		t.Fatalf("batch write output %+v", bw)
	}
	var keys []map[string]av
	for i := 0; i < 25; i++ {
		keys = append(keys, map[string]av{"pk": sv(fmt.Sprint(i))})
	}
	bg, err := e.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"ba1": {Keys: keys, ProjectionExpression: aws.String("v")},
		"ba2": {Keys: []map[string]av{{"pk": sv("x"), "sk": nv("1")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bg.Responses["ba1"]) != 20 || len(bg.Responses["ba2"]) != 1 || len(bg.Responses["ba1"][0]) != 1 || bg.UnprocessedKeys == nil {
		t.Fatalf("batch get %d %d %+v", len(bg.Responses["ba1"]), len(bg.Responses["ba2"]), bg.Responses["ba1"][0])
	}
	// Deletes through a batch.
	if _, err := e.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"ba1": {{DeleteRequest: &types.DeleteRequest{Key: map[string]av{"pk": sv("0")}}}}}}); err != nil {
		t.Fatal(err)
	}
	if g, _ := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("ba1"), Key: map[string]av{"pk": sv("0")}}); g.Item != nil {
		t.Error("batch delete did not delete")
	}
	var many []string
	for i := 0; i < 26; i++ {
		many = append(many, fmt.Sprintf(`{"PutRequest":{"Item":{"pk":{"S":"m%d"}}}}`, i))
	}
	var hundred []string
	for i := 0; i < 101; i++ {
		hundred = append(hundred, fmt.Sprintf(`{"pk":{"S":"k%d"}}`, i))
	}
	runErrorCases(t, e, []errorCase{
		{"too many gets", "BatchGetItem", `{"RequestItems":{"ba1":{"Keys":[` + strings.Join(hundred, ",") + `]}}}`, tValidation, "Too many items requested for the BatchGetItem call"},
		{"duplicate get keys", "BatchGetItem", `{"RequestItems":{"ba1":{"Keys":[{"pk":{"S":"a"}},{"pk":{"S":"a"}}]}}}`, tValidation, "Provided list of item keys contains duplicates"},
		{"missing table", "BatchGetItem", `{"RequestItems":{"nope":{"Keys":[{"pk":{"S":"a"}}]}}}`, tNotFound, "Requested resource not found"},
		{"too many writes", "BatchWriteItem", `{"RequestItems":{"ba1":[` + strings.Join(many, ",") + `]}}`, tValidation,
			"~' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"},
		{"duplicate write keys", "BatchWriteItem", `{"RequestItems":{"ba1":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"a"}}}}]}}`, tValidation, "Provided list of item keys contains duplicates"},
		{"bad key", "BatchWriteItem", `{"RequestItems":{"ba1":[{"DeleteRequest":{"Key":{"pk":{"N":"1"}}}}]}}`, tValidation, "The provided key element does not match the schema"},
	})
}

func TestTransactions(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "acct", false, "")
	e.createSimple(t, "log1", false, "")
	e.mustRaw(t, "PutItem", `{"TableName":"acct","Item":{"pk":{"S":"a"},"bal":{"N":"100"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"acct","Item":{"pk":{"S":"b"},"bal":{"N":"0"}}}`)
	transfer := func(amount string, token *string) error {
		_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: token, TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String("acct"), Key: map[string]av{"pk": sv("a")}, UpdateExpression: aws.String("SET bal = bal - :x"),
				ConditionExpression: aws.String("bal >= :x"), ExpressionAttributeValues: map[string]av{":x": nv(amount)},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: aws.String("acct"), Key: map[string]av{"pk": sv("b")}, UpdateExpression: aws.String("SET bal = bal + :x"),
				ExpressionAttributeValues: map[string]av{":x": nv(amount)}}},
			{Put: &types.Put{TableName: aws.String("log1"), Item: map[string]av{"pk": sv("t-" + amount)}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String("acct"), Key: map[string]av{"pk": sv("zzz")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		}})
		return err
	}
	if err := transfer("60", aws.String("tok-1")); err != nil {
		t.Fatal(err)
	}
	// Idempotent replay: no second effect.
	if err := transfer("60", aws.String("tok-1")); err != nil {
		t.Fatal(err)
	}
	bal := func(k string) string {
		g, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("acct"), Key: map[string]av{"pk": sv(k)}})
		if err != nil {
			t.Fatal(err)
		}
		return g.Item["bal"].(*types.AttributeValueMemberN).Value
	}
	if bal("a") != "40" || bal("b") != "60" {
		t.Fatalf("balances %s %s after transfer and replay", bal("a"), bal("b"))
	}
	// Same token, other parameters.
	err := transfer("1", aws.String("tok-1"))
	var ipm *types.IdempotentParameterMismatchException
	if !errors.As(err, &ipm) {
		t.Fatalf("want IdempotentParameterMismatchException, got %v", err)
	}
	// Insufficient funds cancels everything, with reasons in order.
	err = transfer("50", nil)
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("want TransactionCanceledException, got %v", err)
	}
	if len(tce.CancellationReasons) != 4 || *tce.CancellationReasons[0].Code != "ConditionalCheckFailed" || *tce.CancellationReasons[1].Code != "None" ||
		tce.CancellationReasons[0].Item["bal"].(*types.AttributeValueMemberN).Value != "40" || tce.CancellationReasons[1].Message != nil {
		t.Fatalf("reasons %+v", tce.CancellationReasons)
	}
	if bal("a") != "40" || bal("b") != "60" {
		t.Fatal("cancelled transaction changed data")
	}
	st, out := e.raw(t, "TransactWriteItems", `{"TransactItems":[{"ConditionCheck":{"TableName":"acct","Key":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists(pk)"}},{"Put":{"TableName":"log1","Item":{"pk":{"S":"z"}}}}]}`)
	if st != 400 || out["__type"] != tTxCanceled || out["Message"] != "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]" {
		t.Fatalf("raw cancellation %v", out)
	}
	// TransactGetItems in order, missing items as {}.
	tg, err := e.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("acct"), Key: map[string]av{"pk": sv("b")}}},
		{Get: &types.Get{TableName: aws.String("acct"), Key: map[string]av{"pk": sv("nobody")}}},
		{Get: &types.Get{TableName: aws.String("log1"), Key: map[string]av{"pk": sv("t-60")}, ProjectionExpression: aws.String("pk")}},
	}})
	if err != nil || len(tg.Responses) != 3 || tg.Responses[0].Item["bal"] == nil || tg.Responses[1].Item != nil || tg.Responses[2].Item["pk"] == nil {
		t.Fatalf("transact get %+v %v", tg, err)
	}
	runErrorCases(t, e, []errorCase{
		{"same item twice", "TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"acct","Item":{"pk":{"S":"a"}}}},{"Delete":{"TableName":"acct","Key":{"pk":{"S":"a"}}}}]}`, tValidation,
			"Transaction request cannot include multiple operations on one item"},
		{"missing table", "TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"nope","Item":{"pk":{"S":"a"}}}}]}`, tNotFound, "Requested resource not found"},
		{"empty", "TransactWriteItems", `{"TransactItems":[]}`, tValidation,
			"1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1"},
	})
}
