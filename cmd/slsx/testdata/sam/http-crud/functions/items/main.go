// Command items serves GET, PUT and DELETE /items/{id} over the DynamoDB
// table named by TABLE (the template's !Ref ItemsTable), and GET /info with
// the environment the template resolved. It answers HTTP APIs (payload
// 2.0) and REST APIs (payload 1.0).
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
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type item struct {
	ID    string  `json:"id" dynamodbav:"id"`
	Name  string  `json:"name" dynamodbav:"name"`
	Price float64 `json:"price" dynamodbav:"price"`
}

type app struct {
	db    *dynamodb.Client
	table string
}

// request reads both payload versions: they share pathParameters, body and
// isBase64Encoded, and name the method differently.
type request struct {
	events.APIGatewayV2HTTPRequest
	HTTPMethod string `json:"httpMethod"` // payload 1.0
}

func (a *app) handle(ctx context.Context, req request) (any, error) {
	resp, err := a.serve(ctx, req)
	if req.HTTPMethod != "" {
		return events.APIGatewayProxyResponse{StatusCode: resp.StatusCode, Headers: resp.Headers, Body: resp.Body}, err
	}
	return resp, err
}

func (a *app) serve(ctx context.Context, req request) (events.APIGatewayV2HTTPResponse, error) {
	method := req.RequestContext.HTTP.Method
	if req.HTTPMethod != "" {
		method = req.HTTPMethod
	}
	if req.RawPath == "/info" {
		return reply(http.StatusOK, map[string]string{
			"stage":    os.Getenv("STAGE"),
			"table":    os.Getenv("TABLE"),
			"tableArn": os.Getenv("TABLE_ARN"),
			"greeting": os.Getenv("GREETING"),
		})
	}
	id := req.PathParameters["id"]
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}
	switch method {
	case http.MethodPut:
		body := []byte(req.Body)
		if req.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(req.Body)
			if err != nil {
				return reply(http.StatusBadRequest, map[string]string{"error": "body is not base64"})
			}
			body = b
		}
		var it item
		if err := json.Unmarshal(body, &it); err != nil || it.Name == "" {
			return reply(http.StatusBadRequest, map[string]string{"error": `body must be JSON like {"name":"tea"}`})
		}
		it.ID = id
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return failure(err)
		}
		if _, err := a.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &a.table, Item: av}); err != nil {
			return failure(err)
		}
		return reply(http.StatusOK, it)
	case http.MethodDelete:
		out, err := a.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &a.table, Key: key, ReturnValues: types.ReturnValueAllOld})
		if err != nil {
			return failure(err)
		}
		if len(out.Attributes) == 0 {
			return reply(http.StatusNotFound, map[string]string{"error": "no item " + id})
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent}, nil
	default:
		out, err := a.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &a.table, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return failure(err)
		}
		if out.Item == nil {
			return reply(http.StatusNotFound, map[string]string{"error": "no item " + id})
		}
		var it item
		if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
			return failure(err)
		}
		return reply(http.StatusOK, it)
	}
}

func reply(status int, v any) (events.APIGatewayV2HTTPResponse, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}, nil
}

func failure(err error) (events.APIGatewayV2HTTPResponse, error) {
	return reply(http.StatusInternalServerError, map[string]string{"error": err.Error()})
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	a := &app{db: dynamodb.NewFromConfig(cfg), table: os.Getenv("TABLE")}
	lambda.Start(a.handle)
}
