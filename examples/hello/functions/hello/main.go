// Command hello answers GET /hello and GET /hello/{name}.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	name := req.PathParameters["name"]
	if name == "" {
		name = "world"
	}
	body, _ := json.Marshal(map[string]string{"message": "hello, " + name})
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() { lambda.Start(handle) }
