package apigateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

type respCase struct {
	name    string
	fn      func(context.Context, lambda.Request) (lambda.Result, error)
	status  int
	body    string
	headers map[string][]string // nil slice: header must be absent
}

func funcErr(context.Context, lambda.Request) (lambda.Result, error) {
	return lambda.Result{StatusCode: 200, FunctionError: "Unhandled",
		Payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`)}, nil
}

func throttled(context.Context, lambda.Request) (lambda.Result, error) {
	return lambda.Result{}, &awsapi.Error{Status: 429, Code: "TooManyRequestsException", Message: "Rate Exceeded.", Extra: map[string]any{"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}}
}

func notFound(context.Context, lambda.Request) (lambda.Result, error) {
	return lambda.Result{}, &awsapi.Error{Status: 404, Code: "ResourceNotFoundException", Message: "Function not found"}
}

func hang(ctx context.Context, _ lambda.Request) (lambda.Result, error) {
	<-ctx.Done()
	return lambda.Result{}, ctx.Err()
}

func runRespCases(t *testing.T, api *config.API, path string, cases []respCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := &fakeInvoker{def: c.fn}
			gw := New(api, Options{Invoker: inv, IntegrationTimeout: 50 * time.Millisecond})
			e := &env{t: t, inv: inv, gw: gw, srv: newServer(t, gw)}
			res := e.do("GET", path, nil, "")
			if res.status != c.status || res.body != c.body {
				t.Fatalf("got %d %q, want %d %q", res.status, res.body, c.status, c.body)
			}
			for k, want := range c.headers {
				got := res.header.Values(k)
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

var (
	v2ISE  = `{"message":"Internal Server Error"}`
	v1ISE  = `{"message": "Internal server error"}`
	jsonCT = map[string][]string{"Content-Type": {"application/json"}}
)

func TestV2ResponseMapping(t *testing.T) {
	runRespCases(t, httpAPI(rt("GET", "/x", "f")), "/x", []respCase{
		{"string inferred", ok(`"Hello"` + "\n"), 200, "Hello", jsonCT},
		{"object inferred", ok(`{"a":1}`), 200, `{"a":1}`, jsonCT},
		{"array inferred", ok(`[1,2]`), 200, `[1,2]`, jsonCT},
		{"number inferred", ok(`42`), 200, `42`, jsonCT},
		{"null inferred", ok(`null`), 200, `null`, jsonCT},
		{"explicit", ok(`{"statusCode":201,"headers":{"x-a":"1,2","content-type":"text/plain"},"multiValueHeaders":{"x-b":["z"]},"cookies":["a=1; Path=/","b=2"],"body":"made","isBase64Encoded":false}`),
			201, "made", map[string][]string{"X-A": {"1,2"}, "Content-Type": {"text/plain"}, "Set-Cookie": {"a=1; Path=/", "b=2"}, "X-B": nil}},
		{"explicit no content-type", ok(`{"statusCode":200,"body":"x"}`), 200, "x", map[string][]string{"Content-Type": nil}},
		{"aws-lambda-go zero value fields", ok(`{"statusCode":204,"headers":null,"multiValueHeaders":null,"body":"","cookies":null}` + "\n"), 204, "", nil},
		{"base64 body", ok(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`), 200, "hi", nil},
		{"streaming prelude", ok(`{"statusCode":202,"headers":{"content-type":"text/plain"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00raw body"), 202, "raw body", map[string][]string{"Content-Type": {"text/plain"}}},
		{"statusCode 0", ok(`{"statusCode":0,"body":"x"}`), 500, v2ISE, jsonCT},
		{"statusCode string", ok(`{"statusCode":"200"}`), 500, v2ISE, jsonCT},
		{"statusCode float", ok(`{"statusCode":200.5}`), 500, v2ISE, jsonCT},
		{"header not string", ok(`{"statusCode":200,"headers":{"a":1}}`), 500, v2ISE, jsonCT},
		{"body not string", ok(`{"statusCode":200,"body":{"a":1}}`), 500, v2ISE, jsonCT},
		{"bad base64", ok(`{"statusCode":200,"body":"!!","isBase64Encoded":true}`), 500, v2ISE, jsonCT},
		{"not json", ok(`hello`), 500, v2ISE, jsonCT},
		{"empty", ok(``), 500, v2ISE, jsonCT},
		{"function error", funcErr, 500, v2ISE, jsonCT},
		{"throttled", throttled, 500, v2ISE, jsonCT},
		{"function not found", notFound, 500, v2ISE, jsonCT},
		{"integration timeout", hang, 503, `{"message":"Service Unavailable"}`, jsonCT},
	})
}

func TestRESTResponseMapping(t *testing.T) {
	errHdr := map[string][]string{"Content-Type": {"application/json"}, "X-Amzn-Errortype": {"InternalServerErrorException"}}
	runRespCases(t, restAPI(rt("GET", "/x", "f")), "/dev/x", []respCase{
		{"explicit", ok(`{"statusCode":200,"body":"hi","headers":{"X-A":"1"}}`), 200, "hi", map[string][]string{"X-A": {"1"}, "Content-Type": {"application/json"}}},
		{"merge headers", ok(`{"statusCode":200,"headers":{"Set-Cookie":"a=1","X-One":"1","Content-Type":"text/html"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"],"X-Two":["1","2"]}}`),
			200, "", map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "X-One": {"1"}, "X-Two": {"1", "2"}, "Content-Type": {"text/html"}}},
		{"base64 not decoded without binaryMediaTypes", ok(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`), 200, "aGk=", nil},
		{"aws-lambda-go nulls", ok(`{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":""}` + "\n"), 200, "", jsonCT},
		{"no statusCode", ok(`{"body":"x"}`), 502, v1ISE, errHdr},
		{"bare string", ok(`"Hello"`), 502, v1ISE, errHdr},
		{"statusCode string", ok(`{"statusCode":"200"}`), 502, v1ISE, errHdr},
		{"body number", ok(`{"statusCode":200,"body":5}`), 502, v1ISE, errHdr},
		{"header number", ok(`{"statusCode":200,"headers":{"a":5}}`), 502, v1ISE, errHdr},
		{"multi not list", ok(`{"statusCode":200,"multiValueHeaders":{"a":"x"}}`), 502, v1ISE, errHdr},
		{"not json", ok(`oops`), 502, v1ISE, errHdr},
		{"function error", funcErr, 502, v1ISE, errHdr},
		// Lambda refused the invocation: 500, not the 502 of a function
		// that ran and failed.
		{"throttled", throttled, 500, v1ISE, errHdr},
		{"function not found", notFound, 500, v1ISE, errHdr},
		{"integration timeout", hang, 504, `{"message": "Endpoint request timed out"}`, nil},
	})
}

func TestHTTPPayload1ResponseMapping(t *testing.T) {
	a := httpAPI(rt("GET", "/x", "f"))
	a.Payload = "1.0"
	runRespCases(t, a, "/x", []respCase{
		{"explicit", ok(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true,"multiValueHeaders":{"X-A":["1","2"]}}`), 200, "hi", map[string][]string{"X-A": {"1", "2"}, "Content-Type": nil}},
		{"needs statusCode", ok(`{"a":1}`), 500, v2ISE, jsonCT},
		{"function error", funcErr, 500, v2ISE, jsonCT},
		{"throttled", throttled, 500, v2ISE, jsonCT},
		{"timeout", hang, 503, `{"message":"Service Unavailable"}`, jsonCT},
	})
}

func TestBodyLimit(t *testing.T) {
	for _, kind := range []string{"http", "rest"} {
		t.Run(kind, func(t *testing.T) {
			api, path, want := httpAPI(rt("POST", "/x", "f")), "/x", `{"message":"Request Entity Too Large"}`
			if kind == "rest" {
				api, path, want = restAPI(rt("POST", "/x", "f")), "/dev/x", `{"message":"HTTP content length exceeded 10485760 bytes."}`
			}
			e := newEnv(t, api, ok(`{"statusCode":200,"body":"ok"}`))
			big := strings.Repeat("a", DefaultMaxBody+1)
			res := e.do("POST", path, http.Header{"Content-Type": {"text/plain"}}, big)
			if res.status != 413 || res.body != want {
				t.Fatalf("over limit: %d %q", res.status, res.body)
			}
			if len(e.inv.calls) != 0 {
				t.Fatal("invoked")
			}
			res = e.do("POST", path, http.Header{"Content-Type": {"text/plain"}}, big[:DefaultMaxBody])
			if res.status != 200 || len(e.inv.last("f").Payload) < DefaultMaxBody {
				t.Fatalf("at limit: %d %q", res.status, res.body)
			}
		})
	}
	// A chunked body (no Content-Length) is measured while reading.
	gw := New(httpAPI(rt("POST", "/x", "f")), Options{Invoker: &fakeInvoker{def: ok(`1`)}, MaxBody: 10})
	srv := newServer(t, gw)
	pr := strings.NewReader(strings.Repeat("b", 11))
	req, _ := http.NewRequest("POST", srv.URL+"/x", struct{ *strings.Reader }{pr})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || req.ContentLength != 0 {
		t.Fatalf("chunked: %d (content length %d)", resp.StatusCode, req.ContentLength)
	}
}

func TestTelemetryAndIDs(t *testing.T) {
	e := newEnv(t, httpAPI(rt("GET", "/x/{id}", "f")), ok(`"ok"`))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := e.bus.Subscribe(ctx)
	res := e.do("GET", "/x/1", http.Header{"X-Amzn-Trace-Id": {"Root=1-00000001-000000000000000000000001"}}, "")
	var ev telemetry.HTTPRequest
	select {
	case got := <-ch:
		ev = got.(telemetry.HTTPRequest)
	case <-time.After(5 * time.Second):
		t.Fatal("no telemetry event")
	}
	if ev.API != "shop" || ev.Method != "GET" || ev.Path != "/x/1" || ev.RouteKey != "GET /x/{id}" || ev.Function != "f" ||
		ev.Status != 200 || ev.RequestID != res.header.Get("Apigw-Requestid") || ev.TraceID != "Root=1-00000001-000000000000000000000001" || ev.Duration <= 0 {
		t.Errorf("event %+v", ev)
	}
	if res.header.Get("X-Amzn-Trace-Id") != "" {
		t.Errorf("HTTP APIs do not return the trace header")
	}
	e.do("GET", "/nope", nil, "")
	if got := (<-ch).(telemetry.HTTPRequest); got.Status != 404 || got.RouteKey != "" {
		t.Errorf("404 event %+v", got)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	old := httpAPI(rt("GET", "/a", "old1"), rt("GET", "/b", "old2"))
	next := httpAPI(rt("GET", "/a", "new1"), rt("GET", "/b", "new2"))
	e := newEnv(t, old, ok(`"x"`))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			if i%2 == 0 {
				e.gw.Update(next)
			} else {
				e.gw.Update(old)
			}
		}
	}()
	for i := 0; i < 100; i++ {
		if res := e.do("GET", "/a", nil, ""); res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
	}
	<-done
	e.gw.Update(next)
	e.do("GET", "/b", nil, "")
	if got := e.inv.calls[len(e.inv.calls)-1].Function; got != "new2" {
		t.Fatalf("after update routed to %s", got)
	}
	for _, c := range e.inv.calls {
		if c.Function != "old1" && c.Function != "new1" && c.Function != "new2" {
			t.Fatalf("unexpected %s", c.Function)
		}
	}
}
