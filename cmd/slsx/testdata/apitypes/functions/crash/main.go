// Command crash panics on every request.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(context.Context, json.RawMessage) (string, error) { panic("crash on purpose") }

func main() { lambda.Start(handle) }
