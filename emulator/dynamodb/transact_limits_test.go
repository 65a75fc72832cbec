package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// apiError unwraps the service error an SDK call returned.
func apiError(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want a service error, got %v", err)
	}
	return ae
}

func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	ae := apiError(t, err)
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("got %s: %q\nwant %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func txPutItem(table string, item map[string]av) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: item}}
}

// TestTransactLimits checks the request-level limits of the transaction
// APIs through aws-sdk-go-v2: 100 actions, one action per item, the 4 MB
// aggregate item size, and the ClientRequestToken length.
func TestTransactLimits(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "txl", true, "")
	big := strings.Repeat("x", 390_000) // 11 of these exceed 4 MB

	t.Run("101 actions", func(t *testing.T) {
		var items []types.TransactWriteItem
		for i := 0; i < 101; i++ {
			items = append(items, txPutItem("txl", map[string]av{"pk": sv("a"), "sk": nv(fmt.Sprint(i))}))
		}
		_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		// DynamoDB prints the list as Java objects (Shape@hash).
		wantList := func(err error, shape, member string) {
			t.Helper()
			ae := apiError(t, err)
			msg := ae.ErrorMessage()
			prefix := "1 validation error detected: Value '[com.amazonaws.dynamodb.v20120810." + shape + "@"
			suffix := "]' at '" + member + "' failed to satisfy constraint: Member must have length less than or equal to 100"
			if ae.ErrorCode() != "ValidationException" || !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) ||
				strings.Count(msg, "com.amazonaws.dynamodb.v20120810."+shape+"@") != 101 {
				t.Errorf("got %s: %.200s...%s", ae.ErrorCode(), msg, msg[max(0, len(msg)-120):])
			}
		}
		wantList(err, "TransactWriteItem", "transactItems")
		gets := make([]types.TransactGetItem, 101)
		for i := range gets {
			gets[i].Get = &types.Get{TableName: aws.String("txl"), Key: map[string]av{"pk": sv("a"), "sk": nv(fmt.Sprint(i))}}
		}
		_, err = e.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: gets})
		wantList(err, "TransactGetItem", "transactItems")
		stmts := make([]types.ParameterizedStatement, 101)
		for i := range stmts {
			stmts[i].Statement = aws.String(fmt.Sprintf("DELETE FROM txl WHERE pk = 'a' AND sk = %d", i))
		}
		_, err = e.db.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: stmts})
		wantList(err, "ParameterizedStatement", "transactStatements")
	})

	t.Run("100 actions", func(t *testing.T) {
		var items []types.TransactWriteItem
		for i := 0; i < 100; i++ {
			items = append(items, txPutItem("txl", map[string]av{"pk": sv("hundred"), "sk": nv(fmt.Sprint(i))}))
		}
		if _, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("same item twice", func(t *testing.T) {
		// The key attributes come in another order in the Delete; it is
		// still the same item.
		_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			txPutItem("txl", map[string]av{"pk": sv("a"), "sk": nv("1"), "v": sv("x")}),
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String("txl"), Key: map[string]av{"sk": nv("1.0"), "pk": sv("a")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		}})
		wantAPIError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")
	})

	t.Run("4 MB write", func(t *testing.T) {
		var items []types.TransactWriteItem
		for i := 0; i < 11; i++ {
			items = append(items, txPutItem("txl", map[string]av{"pk": sv("big"), "sk": nv(fmt.Sprint(i)), "pad": sv(big)}))
		}
		_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		wantAPIError(t, err, "ValidationException", msgTxTooLarge)
		out, err := e.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("txl"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]av{":p": sv("big")}, Select: types.SelectCount})
		if err != nil || out.Count != 0 {
			t.Fatalf("a rejected transaction wrote %d items (err %v)", out.Count, err)
		}
		// Ten such items (3.9 MB) are within the limit.
		if _, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items[:10]}); err != nil {
			t.Fatal(err)
		}
		// Updates count with the size of the item they produce: without
		// the 10 KB the Update adds, these actions total about 4.19 MB
		// (just under 4 MiB), with it about 4.20 MB.
		_, err = e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String("txl"), Key: map[string]av{"pk": sv("big"), "sk": nv("0")},
				UpdateExpression: aws.String("SET more = :m"), ExpressionAttributeValues: map[string]av{":m": sv(strings.Repeat("y", 10_000))}}},
			items[1], items[2], items[3], items[4], items[5], items[6], items[7], items[8], items[9],
			txPutItem("txl", map[string]av{"pk": sv("big"), "sk": nv("10"), "pad": sv(strings.Repeat("z", 289_990))}),
		}})
		wantAPIError(t, err, "ValidationException", msgTxTooLarge)
	})

	t.Run("4 MB read", func(t *testing.T) {
		if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("txl"), Item: map[string]av{"pk": sv("big"), "sk": nv("10"), "pad": sv(big)}}); err != nil {
			t.Fatal(err)
		}
		var gets []types.TransactGetItem
		var stmts []types.ParameterizedStatement
		for i := 0; i < 11; i++ {
			gets = append(gets, types.TransactGetItem{Get: &types.Get{TableName: aws.String("txl"), Key: map[string]av{"pk": sv("big"), "sk": nv(fmt.Sprint(i))}}})
			stmts = append(stmts, types.ParameterizedStatement{Statement: aws.String(fmt.Sprintf(`SELECT * FROM txl WHERE pk = 'big' AND sk = %d`, i))})
		}
		_, err := e.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: gets})
		wantAPIError(t, err, "ValidationException", msgTxTooLarge)
		_, err = e.db.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: stmts})
		wantAPIError(t, err, "ValidationException", msgTxTooLarge)
		out, err := e.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: gets[:10]})
		if err != nil || len(out.Responses) != 10 {
			t.Fatalf("10 items: %v", err)
		}
	})

	t.Run("token length", func(t *testing.T) {
		_, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(strings.Repeat("t", 37)),
			TransactItems: []types.TransactWriteItem{txPutItem("txl", map[string]av{"pk": sv("a"), "sk": nv("1")})}})
		wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '"+strings.Repeat("t", 37)+"' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")
		// The SDK fills in an empty token itself, so this one goes raw.
		runErrorCases(t, e, []errorCase{
			{"empty token", "TransactWriteItems", `{"ClientRequestToken":"","TransactItems":[{"Put":{"TableName":"txl","Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}}]}`, tValidation,
				"1 validation error detected: Value '' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 1"},
			{"empty token, PartiQL", "ExecuteTransaction", `{"ClientRequestToken":"","TransactStatements":[{"Statement":"DELETE FROM txl WHERE pk='a' AND sk=1"}]}`, tValidation,
				"1 validation error detected: Value '' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		})
	})
}

// TestTransactIdempotency checks ClientRequestToken replays: identical
// parameters succeed without writing again, whatever order the SDK writes
// map members in, and report read units; other parameters under the same
// token fail with IdempotentParameterMismatchException.
func TestTransactIdempotency(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "txi", false, "")
	// Several map members per level so that the SDK's map order varies
	// between calls.
	in := func(token string, inc string) *dynamodb.TransactWriteItemsInput {
		return &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: aws.String("txi"), Key: map[string]av{"pk": sv("counter")},
					UpdateExpression:          aws.String("ADD #n :inc SET #a = :a, #b = :b, #c = :c"),
					ExpressionAttributeNames:  map[string]string{"#n": "n", "#a": "a", "#b": "b", "#c": "c"},
					ExpressionAttributeValues: map[string]av{":inc": nv(inc), ":a": sv("1"), ":b": sv("2"), ":c": sv("3")}}},
				txPutItem("txi", map[string]av{"pk": sv("other"), "w": sv("1"), "x": sv("2"), "y": sv("3"), "z": sv("4")}),
			}}
	}
	first, err := e.db.TransactWriteItems(ctx, in("tok-1", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ConsumedCapacity) != 1 || aws.ToFloat64(first.ConsumedCapacity[0].WriteCapacityUnits) != 4 {
		t.Errorf("first call: ConsumedCapacity %+v, want 4 write units", first.ConsumedCapacity)
	}
	for i := 0; i < 20; i++ {
		out, err := e.db.TransactWriteItems(ctx, in("tok-1", "1"))
		if err != nil {
			t.Fatalf("replay %d: %v", i, err)
		}
		if cc := out.ConsumedCapacity; len(cc) != 1 || aws.ToFloat64(cc[0].ReadCapacityUnits) != 2 || cc[0].WriteCapacityUnits != nil {
			t.Fatalf("replay %d: ConsumedCapacity %+v, want 2 read units", i, cc)
		}
	}
	got, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("txi"), Key: map[string]av{"pk": sv("counter")}})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Item["n"].(*types.AttributeValueMemberN).Value; n != "1" {
		t.Errorf("n = %s after replays, want 1", n)
	}
	_, err = e.db.TransactWriteItems(ctx, in("tok-1", "2"))
	wantAPIError(t, err, "IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request. Tokens must be unique for each distinct request.")
	// The body carries "Message" with a capital M, as the service model says.
	st, out := e.raw(t, "TransactWriteItems", `{"ClientRequestToken":"tok-1","TransactItems":[{"Put":{"TableName":"txi","Item":{"pk":{"S":"z"}}}}]}`)
	if st != 400 || out["__type"] != "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException" || out["Message"] == nil {
		t.Errorf("raw mismatch: %d %v", st, out)
	}
	// A failed transaction does not use up its token.
	fail := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("tok-2"), TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("txi"), Key: map[string]av{"pk": sv("counter")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}}
	for i := 0; i < 2; i++ {
		_, err := e.db.TransactWriteItems(ctx, fail)
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			t.Fatalf("call %d: want TransactionCanceledException, got %v", i, err)
		}
	}
	// ExecuteTransaction honours tokens the same way.
	pq := func(v string) *dynamodb.ExecuteTransactionInput {
		return &dynamodb.ExecuteTransactionInput{ClientRequestToken: aws.String("tok-3"), TransactStatements: []types.ParameterizedStatement{
			{Statement: aws.String("UPDATE txi SET n = n + ? WHERE pk = 'counter'"), Parameters: []av{nv(v)}}}}
	}
	for i := 0; i < 3; i++ {
		if _, err := e.db.ExecuteTransaction(ctx, pq("5")); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("txi"), Key: map[string]av{"pk": sv("counter")}})
	if n := got.Item["n"].(*types.AttributeValueMemberN).Value; n != "6" {
		t.Errorf("n = %s after three identical ExecuteTransaction calls, want 6", n)
	}
	_, err = e.db.ExecuteTransaction(ctx, pq("6"))
	if apiError(t, err).ErrorCode() != "IdempotentParameterMismatchException" {
		t.Errorf("ExecuteTransaction with reused token: %v", err)
	}
}
