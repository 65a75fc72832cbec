package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/reload/shared"
)

// handlerVersion is rewritten by the test on every edit.
const handlerVersion = "h0"

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if d, err := time.ParseDuration(req.QueryStringParameters["sleep"]); err == nil {
		time.Sleep(d) // a slow request, still running when its code is swapped
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: handlerVersion + " " + shared.Version}, nil
}

func main() { lambda.Start(handle) }
