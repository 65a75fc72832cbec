package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func gen(t *testing.T, kind string, o Options, into any) {
	t.Helper()
	o.Now = now
	b, err := Generate(kind, o)
	if err != nil {
		t.Fatalf("Generate %s: %v", kind, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s does not decode into %T: %v\n%s", kind, into, err, b)
	}
}

func TestHTTP(t *testing.T) {
	var e events.APIGatewayV2HTTPRequest
	gen(t, "apigw-http", Options{Method: "put", Path: "/users/42", Route: "/users/{id}", Body: `{"a":1}`,
		Headers: []string{"X-Trace: a", "x-trace: b", "Cookie: s=1; t=2"}, Query: "q=go&q=lambda&n=1"}, &e)
	if e.Version != "2.0" || e.RouteKey != "PUT /users/{id}" || e.RawPath != "/users/42" || e.RawQueryString != "q=go&q=lambda&n=1" {
		t.Errorf("head = %q %q %q %q", e.Version, e.RouteKey, e.RawPath, e.RawQueryString)
	}
	if e.Headers["x-trace"] != "a,b" || e.Headers["content-type"] != "application/json" || e.Headers["cookie"] != "" {
		t.Errorf("headers = %v", e.Headers)
	}
	if !reflect.DeepEqual(e.Cookies, []string{"s=1", "t=2"}) || e.QueryStringParameters["q"] != "go,lambda" || e.PathParameters["id"] != "42" {
		t.Errorf("cookies %v query %v params %v", e.Cookies, e.QueryStringParameters, e.PathParameters)
	}
	c := e.RequestContext
	if c.HTTP.Method != "PUT" || c.HTTP.Path != "/users/42" || c.Stage != "$default" || c.AccountID != "000000000000" ||
		c.RequestID == "" || c.TimeEpoch != now.UnixMilli() || c.Time != "04/Mar/2025:05:06:07 +0000" || e.Body != `{"a":1}` {
		t.Errorf("context = %+v", c)
	}
}

func TestREST(t *testing.T) {
	var e events.APIGatewayProxyRequest
	gen(t, "apigw-rest", Options{Route: "POST /files/{key+}", Path: "/files/a/b.txt", Headers: []string{"X-A: 1", "X-A: 2"}, Query: "v=1&v=2"}, &e)
	if e.HTTPMethod != "POST" || e.Resource != "/files/{key+}" || e.Path != "/files/a/b.txt" || e.PathParameters["key"] != "a/b.txt" {
		t.Errorf("head = %q %q %q %v", e.HTTPMethod, e.Resource, e.Path, e.PathParameters)
	}
	if e.Headers["X-A"] != "2" || !reflect.DeepEqual(e.MultiValueHeaders["X-A"], []string{"1", "2"}) ||
		e.QueryStringParameters["v"] != "2" || !reflect.DeepEqual(e.MultiValueQueryStringParameters["v"], []string{"1", "2"}) {
		t.Errorf("headers %v %v query %v %v", e.Headers, e.MultiValueHeaders, e.QueryStringParameters, e.MultiValueQueryStringParameters)
	}
	if e.RequestContext.Stage != "Prod" || e.RequestContext.Path != "/Prod/files/a/b.txt" || e.RequestContext.ResourcePath != "/files/{key+}" {
		t.Errorf("context = %+v", e.RequestContext)
	}
}

func TestSNS(t *testing.T) {
	var e events.SNSEvent
	gen(t, "sns", Options{Topic: "orders", Message: `{"id":1}`, Subject: "hi", Attributes: []string{"size=large"}}, &e)
	if len(e.Records) != 1 {
		t.Fatalf("records = %d", len(e.Records))
	}
	r := e.Records[0]
	s := r.SNS
	if r.EventSource != "aws:sns" || s.TopicArn != "arn:aws:sns:us-east-1:000000000000:orders" || s.Message != `{"id":1}` ||
		s.Subject != "hi" || s.Type != "Notification" || !s.Timestamp.Equal(now) || !strings.HasPrefix(r.EventSubscriptionArn, s.TopicArn+":") {
		t.Errorf("record = %+v", r)
	}
	if !reflect.DeepEqual(s.MessageAttributes["size"], map[string]any{"Type": "String", "Value": "large"}) {
		t.Errorf("attributes = %v", s.MessageAttributes)
	}
}

func TestDynamoDBStream(t *testing.T) {
	var e events.DynamoDBEvent
	gen(t, "dynamodb-stream", Options{Table: "orders", Keys: `{"id":{"S":"o-1"}}`,
		NewImage: `{"id":"o-1","total":12.50,"tags":["a"],"paid":true,"meta":{"n":null}}`, OldImage: `{"id":"o-1","total":3}`}, &e)
	r := e.Records[0]
	if r.EventName != "MODIFY" || r.EventSource != "aws:dynamodb" || !strings.HasPrefix(r.EventSourceArn, "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/") {
		t.Errorf("record = %+v", r)
	}
	c := r.Change
	if c.Keys["id"].String() != "o-1" || c.NewImage["total"].Number() != "12.50" || c.NewImage["tags"].List()[0].String() != "a" ||
		!c.NewImage["paid"].Boolean() || !c.NewImage["meta"].Map()["n"].IsNull() || c.OldImage["total"].Number() != "3" ||
		c.StreamViewType != "NEW_AND_OLD_IMAGES" || c.SequenceNumber == "" {
		t.Errorf("change = %+v", c)
	}
	var ins events.DynamoDBEvent
	gen(t, "dynamodb-stream", Options{Keys: `{"id":"1"}`, NewImage: `{"id":"1"}`}, &ins)
	var rem events.DynamoDBEvent
	gen(t, "dynamodb-stream", Options{Keys: `{"id":"1"}`, OldImage: `{"id":"1"}`}, &rem)
	if ins.Records[0].EventName != "INSERT" || rem.Records[0].EventName != "REMOVE" {
		t.Errorf("event names = %s %s", ins.Records[0].EventName, rem.Records[0].EventName)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		kind string
		o    Options
		want string
	}{
		{"s3", Options{}, `no event kind "s3"; use one of apigw-http, apigw-rest, sns, dynamodb-stream`},
		{"apigw-http", Options{Path: "users"}, `--path "users" must start with '/'`},
		{"apigw-http", Options{Headers: []string{"nocolon"}}, `header "nocolon": use 'Name: value'`},
		{"apigw-rest", Options{Path: "/a/b", Route: "/x/{id}"}, `--path /a/b does not match --route /x/{id}`},
		{"sns", Options{Attributes: []string{"x"}}, `attribute "x": use name=value`},
		{"dynamodb-stream", Options{}, `--keys is required, e.g. --keys '{"id":"42"}'`},
		{"dynamodb-stream", Options{Keys: `[1]`}, `--keys must be a JSON object`},
		{"dynamodb-stream", Options{Keys: `{"a":"b"}`, EventName: "PUT"}, `--event-name "PUT": use INSERT, MODIFY or REMOVE`},
	}
	for _, tt := range tests {
		if _, err := Generate(tt.kind, tt.o); err == nil || err.Error() != tt.want {
			t.Errorf("%s %+v: err = %v, want %s", tt.kind, tt.o, err, tt.want)
		}
	}
}
