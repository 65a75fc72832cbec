package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	evgen "github.com/slsx/slsx/templates/events"
)

func eventsOpts(method, path, body string) evgen.Options {
	return evgen.Options{Method: method, Path: path, Body: body}
}

// TestEventsGenerate parses argv like a user types it and checks the JSON
// decodes into the aws-lambda-go type with the flags' values.
func TestEventsGenerate(t *testing.T) {
	tests := []struct {
		args  []string
		into  any
		check func(any) bool
	}{
		{[]string{"events", "generate", "apigw-http", "-X", "POST", "--path", "/users/7", "--route", "/users/{id}", "-H", "X-A: 1", "--query", "q=1", "--body", "{}"},
			&events.APIGatewayV2HTTPRequest{}, func(v any) bool {
				e := v.(*events.APIGatewayV2HTTPRequest)
				return e.RequestContext.HTTP.Method == "POST" && e.PathParameters["id"] == "7" && e.Headers["x-a"] == "1" &&
					e.QueryStringParameters["q"] == "1" && e.Body == "{}" && e.RouteKey == "POST /users/{id}"
			}},
		{[]string{"events", "generate", "apigw-rest", "--path", "/a", "--stage", "dev"},
			&events.APIGatewayProxyRequest{}, func(v any) bool {
				e := v.(*events.APIGatewayProxyRequest)
				return e.HTTPMethod == "GET" && e.Path == "/a" && e.RequestContext.Stage == "dev"
			}},
		{[]string{"events", "generate", "sns", "--topic", "orders", "--message", "hi", "--subject", "s", "--attribute", "k=v"},
			&events.SNSEvent{}, func(v any) bool {
				r := v.(*events.SNSEvent).Records[0].SNS
				return r.TopicArn == "arn:aws:sns:us-east-1:000000000000:orders" && r.Message == "hi" && r.Subject == "s" && r.MessageAttributes["k"] != nil
			}},
		{[]string{"events", "generate", "dynamodb-stream", "--table", "t1", "--keys", `{"id":"1"}`, "--old-image", `{"id":"1"}`, "--event-name", "remove"},
			&events.DynamoDBEvent{}, func(v any) bool {
				r := v.(*events.DynamoDBEvent).Records[0]
				return r.EventName == "REMOVE" && r.Change.Keys["id"].String() == "1" && strings.Contains(r.EventSourceArn, "table/t1/stream/")
			}},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(tt.args, streams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errb.String())
		}
		if err := json.Unmarshal(out.Bytes(), tt.into); err != nil || !tt.check(tt.into) {
			t.Errorf("%v: %v\n%s", tt.args, err, out.String())
		}
	}
	var out bytes.Buffer
	if code := run([]string{"events", "generate", "s3"}, streams{In: strings.NewReader(""), Out: &out, Err: &out}); code != exitUsage ||
		!strings.Contains(out.String(), `no event kind "s3"`) {
		t.Errorf("unknown kind: exit %d %q", code, out.String())
	}
}
