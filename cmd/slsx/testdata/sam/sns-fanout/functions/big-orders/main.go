// Command big-orders logs every order the SNS subscription delivers to it.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, e events.SNSEvent) error {
	for _, r := range e.Records {
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(r.SNS.Message), &o); err != nil {
			return fmt.Errorf("message %s is not an order: %w", r.SNS.MessageID, err)
		}
		fmt.Printf("big-orders got %s from %s\n", o.ID, r.SNS.TopicArn)
	}
	return nil
}

func main() { lambda.Start(handle) }
