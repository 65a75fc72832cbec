// sdk invokes another function ({"target":"name","payload":{...}})
// through the AWS SDK, which reaches slsx via AWS_ENDPOINT_URL.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
)

type in struct {
	Target  string          `json:"target"`
	Payload json.RawMessage `json:"payload"`
}

func handler(ctx context.Context, ev in) (json.RawMessage, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	out, err := lambdasvc.NewFromConfig(cfg).Invoke(ctx, &lambdasvc.InvokeInput{FunctionName: aws.String(ev.Target), Payload: ev.Payload})
	if err != nil {
		return nil, err
	}
	return out.Payload, nil
}

func main() { lambda.Start(handler) }
