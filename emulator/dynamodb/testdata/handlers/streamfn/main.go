// streamfn is a DynamoDB stream handler for the event-source mapping
// tests: it reports every record whose new image has a "fail" attribute as
// a batch item failure, and fails the whole batch when one has "crash".
package main

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, r := range ev.Records {
		if _, ok := r.Change.NewImage["crash"]; ok {
			return resp, errors.New("crash requested")
		}
		if _, ok := r.Change.NewImage["fail"]; ok {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		}
	}
	return resp, nil
}

func main() { lambda.Start(handler) }
