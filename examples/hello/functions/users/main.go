// Command users stores users in DynamoDB and announces changes on SNS.
// It uses the AWS SDK exactly as on AWS: slsx points the SDK at itself
// through AWS_ENDPOINT_URL.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

type user struct {
	ID    string `json:"id" dynamodbav:"id"`
	Name  string `json:"name" dynamodbav:"name"`
	Email string `json:"email,omitempty" dynamodbav:"email,omitempty"`
}

type app struct {
	db       *dynamodb.Client
	sns      *sns.Client
	table    string
	topicARN string
}

func (a *app) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id := req.PathParameters["id"]
	var err error
	switch {
	case req.RequestContext.HTTP.Method == http.MethodGet && id == "":
		out, err := a.db.Scan(ctx, &dynamodb.ScanInput{TableName: &a.table, Limit: aws.Int32(100)})
		if err != nil {
			return errorResponse(err)
		}
		var users []user
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &users); err != nil {
			return errorResponse(err)
		}
		return jsonResponse(http.StatusOK, users)
	case req.RequestContext.HTTP.Method == http.MethodGet:
		out, err := a.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &a.table, Key: key(id)})
		if err != nil {
			return errorResponse(err)
		}
		if out.Item == nil {
			return jsonResponse(http.StatusNotFound, map[string]string{"error": "no user " + id})
		}
		var u user
		if err := attributevalue.UnmarshalMap(out.Item, &u); err != nil {
			return errorResponse(err)
		}
		return jsonResponse(http.StatusOK, u)
	default: // PUT
		body := []byte(req.Body)
		if req.IsBase64Encoded { // API Gateway encodes bodies sent without a text Content-Type
			if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
				return jsonResponse(http.StatusBadRequest, map[string]string{"error": "body is not valid base64"})
			}
		}
		var u user
		if err := json.Unmarshal(body, &u); err != nil || u.Name == "" {
			return jsonResponse(http.StatusBadRequest, map[string]string{"error": `body must be JSON like {"name":"Ada"}`})
		}
		u.ID = id
		item, err := attributevalue.MarshalMap(u)
		if err != nil {
			return errorResponse(err)
		}
		if _, err := a.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &a.table, Item: item}); err != nil {
			return errorResponse(err)
		}
		msg, _ := json.Marshal(u)
		if _, err := a.sns.Publish(ctx, &sns.PublishInput{TopicArn: &a.topicARN, Message: aws.String(string(msg)), Subject: aws.String("user saved")}); err != nil {
			return errorResponse(err)
		}
		return jsonResponse(http.StatusOK, u)
	}
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	a := &app{
		db:       dynamodb.NewFromConfig(cfg),
		sns:      sns.NewFromConfig(cfg),
		table:    os.Getenv("TABLE"),
		topicARN: os.Getenv("TOPIC_ARN"),
	}
	lambda.Start(a.handle)
}

func jsonResponse(status int, v any) (events.APIGatewayV2HTTPResponse, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}, nil
}

func errorResponse(err error) (events.APIGatewayV2HTTPResponse, error) {
	var status = http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusGatewayTimeout
	}
	return jsonResponse(status, map[string]string{"error": err.Error()})
}
