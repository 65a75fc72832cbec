// Command notify receives the SNS notifications and DynamoDB stream records
// that the users function causes, and logs them.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// handle accepts either event shape: both carry a Records array, told apart
// by their eventSource.
func handle(ctx context.Context, raw json.RawMessage) (events.DynamoDBEventResponse, error) {
	var probe struct {
		Records []struct {
			EventSource  string `json:"eventSource"`
			EventSource2 string `json:"EventSource"`
		}
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return events.DynamoDBEventResponse{}, err
	}
	if len(probe.Records) > 0 && probe.Records[0].EventSource2 == "aws:sns" {
		var e events.SNSEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return events.DynamoDBEventResponse{}, err
		}
		for _, r := range e.Records {
			fmt.Printf("sns %s: %s %s\n", r.SNS.TopicArn, r.SNS.Subject, r.SNS.Message)
		}
		return events.DynamoDBEventResponse{}, nil
	}
	var e events.DynamoDBEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return events.DynamoDBEventResponse{}, err
	}
	for _, r := range e.Records {
		fmt.Printf("stream %s %s keys=%v\n", r.EventName, r.EventSourceArn, r.Change.Keys)
	}
	return events.DynamoDBEventResponse{}, nil
}

func main() { lambda.Start(handle) }
