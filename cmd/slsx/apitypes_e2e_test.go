package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slsx/slsx/internal/projcopy"
)

// The three API types of testdata/apitypes, each compared with
// /work/shared/reference/apigateway.md §2 (payload 2.0), §3 (payload 1.0
// and REST), §4 and §5 (errors) through a real `slsx dev` and real
// aws-lambda-go handlers.

type apiUnderTest struct {
	name string
	base string // URL of the API's root (base path and stage included)
	port string // listener port, as x-forwarded-port must say
	kind string // "v2", "v1" (HTTP API payload 1.0) or "rest"
}

func (a apiUnderTest) rest() bool { return a.kind == "rest" }

var (
	traceIDRe    = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)
	shortIDRe    = regexp.MustCompile(`^[A-Za-z0-9_-]{15}=$`) // HTTP API request ids: 16 base64-like chars
	uuidRe       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	apiIDRe      = regexp.MustCompile(`^[a-z0-9]{10}$`)
	resourceIDRe = regexp.MustCompile(`^[a-z0-9]{6}$`)
)

// copyDir copies a project tree (less .slsx) into a fresh temp dir, so
// builds and data stay out of the repository.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := projcopy.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	return dst
}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// startAPITypes runs `slsx dev` on testdata/apitypes with the REST API on
// a free port of its own.
func startAPITypes(t *testing.T) (*devProcess, []apiUnderTest, string) {
	t.Helper()
	dir := copyDir(t, "testdata/apitypes")
	restPort := freePort(t)
	yaml := filepath.Join(dir, "slsx.yaml")
	data, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, yaml, strings.Replace(string(data), "port: 3101", "port: "+restPort, 1))
	d := startDev(t, dir, "--in-memory")
	if strings.Contains(d.output.String(), "failed to build") {
		t.Fatalf("fixture did not build:\n%s", d.output)
	}
	_, mainPort, _ := net.SplitHostPort(strings.TrimPrefix(d.api, "http://"))
	return d, []apiUnderTest{
		{"http-2.0", d.api, mainPort, "v2"},
		{"http-1.0", d.api + "/v1", mainPort, "v1"},
		{"rest", "http://127.0.0.1:" + restPort + "/dev", restPort, "rest"},
	}, dir
}

// send makes one request; headers are added in order, so repeats repeat.
func send(t *testing.T, method, url string, headers [][2]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "slsx-e2e/1.0")
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, b
}

// echoed sends a request to the echo function and returns the raw event.
func echoed(t *testing.T, method, url string, headers [][2]string, body []byte) (json.RawMessage, *http.Response) {
	t.Helper()
	resp, b := send(t, method, url, headers, body)
	if resp.StatusCode != 200 || !json.Valid(b) {
		t.Fatalf("%s %s = %d %.300s", method, url, resp.StatusCode, b)
	}
	return b, resp
}

func eq(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", field, got, want)
	}
}

func match(t *testing.T, field string, re *regexp.Regexp, got string) {
	t.Helper()
	if !re.MatchString(got) {
		t.Errorf("%s = %q, want %s", field, got, re)
	}
}

// checkTime checks a request time string and its epoch against now.
func checkTime(t *testing.T, s string, epochMs int64) {
	t.Helper()
	tm, err := time.Parse("02/Jan/2006:15:04:05 -0700", s)
	if err != nil || !strings.HasSuffix(s, " +0000") {
		t.Errorf("time %q is not dd/MMM/yyyy:HH:mm:ss +0000: %v", s, err)
	}
	ep := time.UnixMilli(epochMs)
	if d := time.Since(ep); d < 0 || d > time.Minute {
		t.Errorf("timeEpoch %d is %v from now", epochMs, d)
	}
	if d := ep.Truncate(time.Second).Sub(tm); d != 0 {
		t.Errorf("time %q and timeEpoch %d disagree by %v", s, epochMs, d)
	}
}

// keys decodes the top level of a JSON object, to tell null from absent.
func keys(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAPITypesEndToEnd(t *testing.T) {
	d, apis, _ := startAPITypes(t)

	const query = "x=1&x=2&y=&z%20k=v%26w"
	headers := [][2]string{{"X-Multi", "1"}, {"X-Multi", "2"}, {"Cookie", "a=1; b=2"}, {"Cookie", "c=3"}, {"X-Forwarded-For", "10.0.0.1"}}

	for _, api := range apis {
		t.Run(api.name+"/event", func(t *testing.T) {
			raw, resp := echoed(t, "GET", api.base+"/items/hello%20world%21?"+query, headers, nil)
			host := "127.0.0.1:" + api.port
			switch api.kind {
			case "v2":
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				eq(t, "version", ev.Version, "2.0")
				eq(t, "routeKey", ev.RouteKey, "ANY /items/{id}")
				eq(t, "rawPath", ev.RawPath, "/items/hello%20world%21")
				eq(t, "rawQueryString", ev.RawQueryString, query)
				eq(t, "cookies", ev.Cookies, []string{"a=1", "b=2", "c=3"})
				match(t, "headers[x-amzn-trace-id]", traceIDRe, ev.Headers["x-amzn-trace-id"])
				delete(ev.Headers, "x-amzn-trace-id")
				eq(t, "headers", ev.Headers, map[string]string{
					"x-multi": "1,2", "user-agent": "slsx-e2e/1.0", "accept-encoding": "gzip", "host": host,
					"x-forwarded-for": "10.0.0.1, 127.0.0.1", "x-forwarded-port": api.port, "x-forwarded-proto": "http",
				})
				eq(t, "queryStringParameters", ev.QueryStringParameters, map[string]string{"x": "1,2", "y": "", "z k": "v&w"})
				eq(t, "pathParameters", ev.PathParameters, map[string]string{"id": "hello world!"})
				eq(t, "stageVariables", ev.StageVariables, map[string]string{"color": "blue"})
				eq(t, "body", ev.Body, "")
				eq(t, "isBase64Encoded", ev.IsBase64Encoded, false)
				if _, ok := keys(t, raw)["body"]; ok {
					t.Errorf("body present without a request body: %s", raw)
				}
				rc := ev.RequestContext
				eq(t, "requestContext.accountId", rc.AccountID, "000000000000")
				match(t, "requestContext.apiId", apiIDRe, rc.APIID)
				eq(t, "requestContext.domainName", rc.DomainName, "127.0.0.1")
				eq(t, "requestContext.domainPrefix", rc.DomainPrefix, "127.0.0.1")
				eq(t, "requestContext.http", rc.HTTP, events.APIGatewayV2HTTPRequestContextHTTPDescription{
					Method: "GET", Path: "/items/hello%20world%21", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "slsx-e2e/1.0"})
				match(t, "requestContext.requestId", shortIDRe, rc.RequestID)
				eq(t, "apigw-requestid header", resp.Header.Get("Apigw-Requestid"), rc.RequestID)
				eq(t, "requestContext.routeKey", rc.RouteKey, "ANY /items/{id}")
				eq(t, "requestContext.stage", rc.Stage, "$default")
				checkTime(t, rc.Time, rc.TimeEpoch)
				if rc.Authorizer != nil {
					t.Errorf("requestContext.authorizer = %+v without an authorizer", rc.Authorizer)
				}
			default:
				var ev events.APIGatewayProxyRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				top := keys(t, raw)
				if api.rest() {
					if _, ok := top["version"]; ok {
						t.Errorf("REST event has a version: %s", top["version"])
					}
				} else {
					eq(t, "version", string(top["version"]), `"1.0"`)
				}
				for _, k := range []string{"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
					"multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body", "isBase64Encoded"} {
					if _, ok := top[k]; !ok {
						t.Errorf("payload 1.0 event lacks %q", k)
					}
				}
				eq(t, "body (raw)", string(top["body"]), "null")
				eq(t, "resource", ev.Resource, "/items/{id}")
				eq(t, "path", ev.Path, "/items/hello%20world%21")
				eq(t, "httpMethod", ev.HTTPMethod, "GET")
				name := strings.ToLower // HTTP APIs lowercase header names
				if api.rest() {
					name = http.CanonicalHeaderKey // REST keeps them as sent (Go sends canonical names)
				}
				trace := ev.Headers[name("X-Amzn-Trace-Id")]
				match(t, "headers[x-amzn-trace-id]", traceIDRe, trace)
				eq(t, "multiValueHeaders[x-amzn-trace-id]", ev.MultiValueHeaders[name("X-Amzn-Trace-Id")], []string{trace})
				wantSingle := map[string]string{
					"X-Multi": "2", "Cookie": "c=3", "User-Agent": "slsx-e2e/1.0", "Accept-Encoding": "gzip", "Host": host,
					"X-Forwarded-For": "10.0.0.1, 127.0.0.1", "X-Forwarded-Port": api.port, "X-Forwarded-Proto": "http", "X-Amzn-Trace-Id": trace,
				}
				wantMulti := map[string][]string{
					"X-Multi": {"1", "2"}, "Cookie": {"a=1; b=2", "c=3"}, "User-Agent": {"slsx-e2e/1.0"}, "Accept-Encoding": {"gzip"}, "Host": {host},
					"X-Forwarded-For": {"10.0.0.1, 127.0.0.1"}, "X-Forwarded-Port": {api.port}, "X-Forwarded-Proto": {"http"}, "X-Amzn-Trace-Id": {trace},
				}
				single, multi := map[string]string{}, map[string][]string{}
				for k, v := range wantSingle {
					single[name(k)] = v
				}
				for k, v := range wantMulti {
					multi[name(k)] = v
				}
				eq(t, "headers", ev.Headers, single)
				eq(t, "multiValueHeaders", ev.MultiValueHeaders, multi)
				if api.rest() {
					eq(t, "queryStringParameters", ev.QueryStringParameters, map[string]string{"x": "2", "y": "", "z k": "v&w"})
				} else {
					eq(t, "queryStringParameters", ev.QueryStringParameters, map[string]string{"x": "1", "y": "", "z k": "v&w"})
				}
				eq(t, "multiValueQueryStringParameters", ev.MultiValueQueryStringParameters,
					map[string][]string{"x": {"1", "2"}, "y": {""}, "z k": {"v&w"}})
				eq(t, "pathParameters", ev.PathParameters, map[string]string{"id": "hello world!"})
				eq(t, "isBase64Encoded", ev.IsBase64Encoded, false)

				rc := ev.RequestContext
				eq(t, "requestContext.accountId", rc.AccountID, "000000000000")
				match(t, "requestContext.apiId", apiIDRe, rc.APIID)
				eq(t, "requestContext.domainName", rc.DomainName, "127.0.0.1")
				eq(t, "requestContext.domainPrefix", rc.DomainPrefix, "127.0.0.1")
				eq(t, "requestContext.resourcePath", rc.ResourcePath, "/items/{id}")
				eq(t, "requestContext.httpMethod", rc.HTTPMethod, "GET")
				eq(t, "requestContext.protocol", rc.Protocol, "HTTP/1.1")
				eq(t, "requestContext.identity.sourceIp", rc.Identity.SourceIP, "127.0.0.1")
				eq(t, "requestContext.identity.userAgent", rc.Identity.UserAgent, "slsx-e2e/1.0")
				checkTime(t, rc.RequestTime, rc.RequestTimeEpoch)
				if rc.ExtendedRequestID == "" {
					t.Errorf("requestContext.extendedRequestId is empty")
				}
				var ctx map[string]json.RawMessage
				_ = json.Unmarshal(top["requestContext"], &ctx)
				var identity map[string]json.RawMessage
				_ = json.Unmarshal(ctx["identity"], &identity)
				for _, k := range []string{"accessKey", "accountId", "caller", "user", "userArn", "apiKey", "apiKeyId", "cognitoIdentityId",
					"cognitoIdentityPoolId", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "principalOrgId", "clientCert"} {
					if v, ok := identity[k]; !ok || string(v) != "null" {
						t.Errorf("requestContext.identity.%s = %s, want null", k, v)
					}
				}
				if api.rest() {
					eq(t, "stageVariables", ev.StageVariables, map[string]string{"env": "test"})
					eq(t, "requestContext.path", rc.Path, "/dev/items/hello%20world%21")
					eq(t, "requestContext.stage", rc.Stage, "dev")
					match(t, "requestContext.resourceId", resourceIDRe, rc.ResourceID)
					match(t, "requestContext.requestId", uuidRe, rc.RequestID)
					eq(t, "x-amzn-RequestId header", resp.Header.Get("X-Amzn-Requestid"), rc.RequestID)
					eq(t, "x-amz-apigw-id header", resp.Header.Get("X-Amz-Apigw-Id"), rc.ExtendedRequestID)
					if _, ok := ctx["authorizer"]; ok {
						t.Errorf("REST requestContext.authorizer = %s without an authorizer", ctx["authorizer"])
					}
				} else {
					eq(t, "stageVariables (raw)", string(top["stageVariables"]), "null")
					eq(t, "requestContext.path", rc.Path, "/items/hello%20world%21")
					eq(t, "requestContext.stage", rc.Stage, "$default")
					eq(t, "requestContext.resourceId (raw)", string(ctx["resourceId"]), "null")
					match(t, "requestContext.requestId", shortIDRe, rc.RequestID)
					eq(t, "apigw-requestid header", resp.Header.Get("Apigw-Requestid"), rc.RequestID)
					eq(t, "requestContext.authorizer (raw)", string(ctx["authorizer"]), `{"claims":null,"scopes":null}`)
				}
			}
		})

		t.Run(api.name+"/greedy", func(t *testing.T) {
			raw, _ := echoed(t, "GET", api.base+"/files/a/b%20c/d.txt", nil, nil)
			var ev struct {
				RouteKey       string            `json:"routeKey"`
				Resource       string            `json:"resource"`
				PathParameters map[string]string `json:"pathParameters"`
				Query          json.RawMessage   `json:"queryStringParameters"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			eq(t, "pathParameters", ev.PathParameters, map[string]string{"proxy": "a/b c/d.txt"})
			if api.kind == "v2" {
				eq(t, "routeKey", ev.RouteKey, "GET /files/{proxy+}")
				eq(t, "queryStringParameters", string(ev.Query), "")
			} else {
				eq(t, "resource", ev.Resource, "/files/{proxy+}")
				eq(t, "queryStringParameters", string(ev.Query), "null")
			}
		})

		t.Run(api.name+"/bodies", func(t *testing.T) {
			binary := make([]byte, 256)
			for i := range binary {
				binary[i] = byte(i)
			}
			cases := []struct {
				name, contentType string
				body              []byte
				httpB64           bool // HTTP APIs (§2.3): base64 unless a text type with valid UTF-8
			}{
				{"json", "application/json", []byte(`{"k":"v","n":[1,2]}`), false},
				{"text utf-8", "text/plain; charset=utf-8", []byte("héllo, wörld\n"), false},
				{"xml", "application/xml", []byte("<a>1</a>"), false},
				{"javascript", "application/javascript", []byte("let a = 1;"), false},
				{"binary", "application/octet-stream", binary, true},
				{"png", "image/png", binary[:64], true},
				{"no content type", "", []byte("plain words"), true},
				{"form", "application/x-www-form-urlencoded", []byte("a=1&b=%20"), true},
				{"text not utf-8", "text/plain", []byte{'o', 'k', 0xff, 0xfe}, true},
			}
			for _, c := range cases {
				var h [][2]string
				if c.contentType != "" {
					h = append(h, [2]string{"Content-Type", c.contentType})
				}
				raw, _ := echoed(t, "POST", api.base+"/items/b", h, c.body)
				var ev struct {
					Body            *string `json:"body"`
					IsBase64Encoded bool    `json:"isBase64Encoded"`
					Headers         map[string]string
				}
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Body == nil {
					t.Errorf("%s: body missing", c.name)
					continue
				}
				cl := ev.Headers["content-length"]
				if api.rest() {
					cl = ev.Headers["Content-Length"]
				}
				eq(t, c.name+": content-length header", cl, strconv.Itoa(len(c.body)))
				switch {
				case api.rest():
					// No binaryMediaTypes in slsx's model: REST passes every
					// body as text (§3); only valid UTF-8 survives that.
					eq(t, c.name+": isBase64Encoded", ev.IsBase64Encoded, false)
					if utf8.Valid(c.body) {
						eq(t, c.name+": body", *ev.Body, string(c.body))
					}
				case c.httpB64:
					eq(t, c.name+": isBase64Encoded", ev.IsBase64Encoded, true)
					eq(t, c.name+": body", *ev.Body, base64.StdEncoding.EncodeToString(c.body))
				default:
					eq(t, c.name+": isBase64Encoded", ev.IsBase64Encoded, false)
					eq(t, c.name+": body", *ev.Body, string(c.body))
				}
			}
		})

		t.Run(api.name+"/large bodies", func(t *testing.T) {
			// 4 MiB of text arrives whole.
			big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
			raw, _ := echoed(t, "POST", api.base+"/items/big", [][2]string{{"Content-Type", "text/plain"}}, big)
			var ev struct{ Body string }
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Body != string(big) {
				t.Errorf("4 MiB body arrived as %d bytes", len(ev.Body))
			}
			// 6 MiB fits API Gateway's 10 MB but not Lambda's 6 MB
			// synchronous payload: Lambda refuses the Invoke, which the
			// gateway answers like a throttle (500 on both API types).
			resp, b := send(t, "POST", api.base+"/items/big", [][2]string{{"Content-Type", "text/plain"}}, bytes.Repeat([]byte("x"), 6<<20))
			wantInvokeRejected(t, api, resp, b)
			// Over 10 MB: 413 from the gateway itself.
			resp, b = send(t, "POST", api.base+"/items/big", [][2]string{{"Content-Type", "application/octet-stream"}}, make([]byte, 10<<20+1))
			eq(t, "status over 10 MB", resp.StatusCode, 413)
			if api.rest() {
				eq(t, "body over 10 MB", string(b), `{"message":"HTTP content length exceeded 10485760 bytes."}`)
			} else {
				eq(t, "body over 10 MB", string(b), `{"message":"Request Entity Too Large"}`)
			}
			eq(t, "content-type over 10 MB", resp.Header.Get("Content-Type"), "application/json")
		})

		t.Run(api.name+"/errors", func(t *testing.T) {
			resp, b := send(t, "GET", api.base+"/crash", nil, nil)
			wantIntegrationError(t, api, resp, b)
			resp, b = send(t, "GET", api.base+"/sleep", nil, nil)
			wantIntegrationError(t, api, resp, b)
			for _, path := range []string{"/nowhere", "/items/a%2Fb", "/crash/extra"} {
				resp, b = send(t, "GET", api.base+path, nil, nil)
				if api.rest() {
					eq(t, path+" status", resp.StatusCode, 403)
					eq(t, path+" body", string(b), `{"message":"Missing Authentication Token"}`)
					eq(t, path+" x-amzn-ErrorType", resp.Header.Get("X-Amzn-Errortype"), "MissingAuthenticationTokenException")
				} else {
					eq(t, path+" status", resp.StatusCode, 404)
					eq(t, path+" body", string(b), `{"message":"Not Found"}`)
				}
			}
		})

		t.Run(api.name+"/throttle", func(t *testing.T) {
			// slow has concurrency 1 and holds its environment until the
			// sentinel exists: of two concurrent calls exactly one is
			// throttled by Lambda, and the gateway answers 500 with its
			// internal-error body on both API types (Lambda developer
			// guide, "Handling Lambda errors with an API Gateway API").
			sentinel := filepath.Join(t.TempDir(), "release")
			type result struct {
				resp *http.Response
				body []byte
			}
			results := make(chan result, 2)
			for range 2 {
				go func() {
					req, _ := http.NewRequest("GET", api.base+"/slow", nil)
					req.Header.Set("X-Sentinel", sentinel)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						results <- result{}
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					results <- result{resp, b}
				}()
			}
			first := <-results
			writeFile(t, sentinel, "go")
			second := <-results
			if first.resp == nil || second.resp == nil {
				t.Fatal("a /slow request failed at the transport level")
			}
			wantInvokeRejected(t, api, first.resp, first.body)
			eq(t, "the call holding the environment", second.resp.StatusCode, 200)
			eq(t, "its body", string(second.body), "released")
		})
	}

	// The dashboard-less log shows the throttles and the function errors.
	out := d.output.String()
	for _, want := range []string{"slow       throttled: 429 TooManyRequestsException (concurrency limit 1)", "GET /crash"} {
		if !strings.Contains(out, want) {
			t.Errorf("slsx dev output lacks %q:\n%.3000s", want, out)
		}
	}
}

// wantIntegrationError checks the gateway's answer to a failed Lambda
// integration (§4, §5): HTTP APIs 500 {"message":"Internal Server Error"},
// REST 502 {"message": "Internal server error"}.
func wantIntegrationError(t *testing.T, api apiUnderTest, resp *http.Response, b []byte) {
	t.Helper()
	wantInternalError(t, api, 502, resp, b)
}

// wantInvokeRejected checks the gateway's answer when the Lambda API
// refused the Invoke (throttled, payload too large): 500 on both API
// types, same bodies.
func wantInvokeRejected(t *testing.T, api apiUnderTest, resp *http.Response, b []byte) {
	t.Helper()
	wantInternalError(t, api, 500, resp, b)
}

func wantInternalError(t *testing.T, api apiUnderTest, restStatus int, resp *http.Response, b []byte) {
	t.Helper()
	if api.rest() {
		eq(t, "status", resp.StatusCode, restStatus)
		eq(t, "body", string(b), `{"message": "Internal server error"}`)
		match(t, "x-amzn-RequestId", uuidRe, resp.Header.Get("X-Amzn-Requestid"))
		if resp.Header.Get("X-Amzn-Errortype") == "" {
			t.Errorf("REST error without x-amzn-ErrorType")
		}
	} else {
		eq(t, "status", resp.StatusCode, 500)
		eq(t, "body", string(b), `{"message":"Internal Server Error"}`)
		match(t, "apigw-requestid", shortIDRe, resp.Header.Get("Apigw-Requestid"))
	}
	eq(t, "content-type", resp.Header.Get("Content-Type"), "application/json")
}
