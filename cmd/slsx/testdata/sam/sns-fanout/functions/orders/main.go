// Command orders publishes each POSTed order to the topic named by
// TOPIC_ARN (the template's !Ref OrdersTopic) with a size attribute that
// the big-orders subscription filters on.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

type order struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
}

// bigOrder is the total from which an order counts as large.
const bigOrder = 100

type app struct {
	sns   *sns.Client
	topic string
}

func (a *app) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded { // API Gateway encodes bodies sent without a text Content-Type
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: `{"error":"body is not base64"}`}, nil
		}
		body = b
	}
	var o order
	if err := json.Unmarshal(body, &o); err != nil || o.ID == "" {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: `{"error":"body must be JSON like {\"id\":\"o-1\",\"total\":250}"}`}, nil
	}
	size := "small"
	if o.Total > bigOrder {
		size = "large"
	}
	msg, _ := json.Marshal(o)
	out, err := a.sns.Publish(ctx, &sns.PublishInput{
		TopicArn: &a.topic,
		Message:  aws.String(string(msg)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"size": {DataType: aws.String("String"), StringValue: aws.String(size)},
		},
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusInternalServerError, Body: err.Error()}, nil
	}
	resp, _ := json.Marshal(map[string]string{"messageId": *out.MessageId, "size": size, "topic": os.Getenv("TOPIC_NAME")})
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusAccepted, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(resp)}, nil
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	a := &app{sns: sns.NewFromConfig(cfg), topic: os.Getenv("TOPIC_ARN")}
	lambda.Start(a.handle)
}
