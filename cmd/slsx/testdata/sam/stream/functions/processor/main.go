// Command processor counts the orders table's stream records per event
// name (INSERT, MODIFY, REMOVE) in the counters table named by COUNTERS.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type app struct {
	db       *dynamodb.Client
	counters string
}

func (a *app) handle(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, r := range e.Records {
		_, err := a.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &a.counters,
			Key:                       map[string]types.AttributeValue{"name": &types.AttributeValueMemberS{Value: r.EventName}},
			UpdateExpression:          aws.String("ADD n :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		})
		if err != nil {
			fmt.Printf("record %s: %v\n", r.EventID, err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			continue
		}
		fmt.Printf("processed %s %s from %s (STREAM=%s)\n", r.EventName, r.Change.Keys["pk"].String(), r.EventSourceArn, os.Getenv("STREAM"))
	}
	return resp, nil
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	a := &app{db: dynamodb.NewFromConfig(cfg), counters: os.Getenv("COUNTERS")}
	lambda.Start(a.handle)
}
