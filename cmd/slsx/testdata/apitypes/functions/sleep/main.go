// Command sleep outlives its 1 s timeout.
package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(context.Context, json.RawMessage) (string, error) {
	time.Sleep(5 * time.Second)
	return "too late", nil
}

func main() { lambda.Start(handle) }
