package apigateway

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/slsx/slsx/emulator/config"
)

var (
	reShortID = regexp.MustCompile(`^[A-Za-z0-9_-]{15}=$`)
	reUUID    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	reTrace   = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)
	reTime    = regexp.MustCompile(`^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$`)
)

func TestV2EventFieldByField(t *testing.T) {
	e := newEnv(t, httpAPI(rt("POST", "/pets/{id}", "pets")), echoV2)
	e.gw.Update(func() *config.API {
		a := httpAPI(rt("POST", "/pets/{id}", "pets"))
		a.StageVariables = map[string]string{"env": "local"}
		return a
	}())
	before := time.Now()
	h := http.Header{
		"X-A":             {"1", "2"},
		"Cookie":          {"s=abc; t=def", "u=ghi"},
		"Content-Type":    {"application/json"},
		"User-Agent":      {"curl/8.5.0"},
		"X-Amzn-Trace-Id": {"Root=1-5e7fe714-fee6909429159440eb352c40"},
		"X-Forwarded-For": {"10.0.0.1"},
	}
	res := e.do("POST", "/pets/caf%C3%A9%20x?a=1&a=2&b=&c&sp=a+b%26c", h, `{"name":"rex"}`)
	if res.status != 200 {
		t.Fatalf("status %d body %s", res.status, res.body)
	}
	payload := e.inv.last("pets").Payload
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	port := e.srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndexByte(port, ':')+1:]
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "POST /pets/{id}"},
		{"rawPath", ev.RawPath, "/pets/caf%C3%A9%20x"},
		{"rawQueryString", ev.RawQueryString, "a=1&a=2&b=&c&sp=a+b%26c"},
		{"cookies", strings.Join(ev.Cookies, "|"), "s=abc|t=def|u=ghi"},
		{"header x-a", ev.Headers["x-a"], "1,2"},
		{"header cookie absent", ev.Headers["cookie"], ""},
		{"header content-type", ev.Headers["content-type"], "application/json"},
		{"header host", ev.Headers["host"], "127.0.0.1:" + port},
		{"header x-forwarded-for", ev.Headers["x-forwarded-for"], "10.0.0.1, 127.0.0.1"},
		{"header x-forwarded-port", ev.Headers["x-forwarded-port"], port},
		{"header x-forwarded-proto", ev.Headers["x-forwarded-proto"], "http"},
		{"header x-amzn-trace-id", ev.Headers["x-amzn-trace-id"], "Root=1-5e7fe714-fee6909429159440eb352c40"},
		{"header content-length", ev.Headers["content-length"], "14"},
		{"qs a", ev.QueryStringParameters["a"], "1,2"},
		{"qs b", ev.QueryStringParameters["b"], ""},
		{"qs c", ev.QueryStringParameters["c"], ""},
		{"qs sp", ev.QueryStringParameters["sp"], "a b&c"},
		{"qs count", len(ev.QueryStringParameters), 4},
		{"pathParameters id", ev.PathParameters["id"], "café x"},
		{"stageVariables", ev.StageVariables["env"], "local"},
		{"body", ev.Body, `{"name":"rex"}`},
		{"isBase64Encoded", ev.IsBase64Encoded, false},
		{"ctx accountId", ev.RequestContext.AccountID, "000000000000"},
		{"ctx apiId", ev.RequestContext.APIID, APIID("shop")},
		{"ctx domainName", ev.RequestContext.DomainName, "127.0.0.1"},
		{"ctx domainPrefix", ev.RequestContext.DomainPrefix, "127.0.0.1"},
		{"ctx http.method", ev.RequestContext.HTTP.Method, "POST"},
		{"ctx http.path", ev.RequestContext.HTTP.Path, "/pets/caf%C3%A9%20x"},
		{"ctx http.protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"ctx http.sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"ctx http.userAgent", ev.RequestContext.HTTP.UserAgent, "curl/8.5.0"},
		{"ctx requestId = header", ev.RequestContext.RequestID, res.header.Get("Apigw-Requestid")},
		{"ctx requestId shape", reShortID.MatchString(ev.RequestContext.RequestID), true},
		{"ctx routeKey", ev.RequestContext.RouteKey, "POST /pets/{id}"},
		{"ctx stage", ev.RequestContext.Stage, "$default"},
		{"ctx time shape", reTime.MatchString(ev.RequestContext.Time), true},
		{"ctx timeEpoch", ev.RequestContext.TimeEpoch >= before.UnixMilli() && ev.RequestContext.TimeEpoch <= time.Now().UnixMilli(), true},
		{"ctx time = epoch", ev.RequestContext.Time, time.UnixMilli(ev.RequestContext.TimeEpoch).UTC().Format(timeLayout)},
		{"ctx authorizer absent", ev.RequestContext.Authorizer == nil, true},
		{"trace id to lambda", e.inv.last("pets").TraceID, "Root=1-5e7fe714-fee6909429159440eb352c40"},
		{"trigger", e.inv.last("pets").Trigger, "POST /pets/{id}"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if len(APIID("shop")) != 10 || strings.ToLower(APIID("shop")) != APIID("shop") {
		t.Errorf("apiId %q is not 10 lowercase characters", APIID("shop"))
	}
	// The echo body is the event itself (inferred format).
	if res.body != string(payload) || res.header.Get("Content-Type") != "application/json" {
		t.Errorf("inferred response: %q %q", res.header.Get("Content-Type"), res.body)
	}
}

func TestV2EventOmitsEmpty(t *testing.T) {
	e := newEnv(t, httpAPI(rt("GET", "/", "root")), echoV2)
	res := e.do("GET", "/", nil, "")
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	keys := rawKeys(t, e.inv.last("root").Payload)
	for _, k := range []string{"cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"} {
		if _, ok := keys[k]; ok {
			t.Errorf("key %q present, want omitted", k)
		}
	}
	for k, want := range map[string]string{"rawQueryString": `""`, "isBase64Encoded": "false", "rawPath": `"/"`} {
		if string(keys[k]) != want {
			t.Errorf("%s = %s, want %s", k, keys[k], want)
		}
	}
	if string(keys["headers"])[0] != '{' {
		t.Errorf("headers = %s, want an object", keys["headers"])
	}
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(e.inv.last("root").Payload, &ev)
	if !reTrace.MatchString(ev.Headers["x-amzn-trace-id"]) || e.inv.last("root").TraceID != ev.Headers["x-amzn-trace-id"] {
		t.Errorf("generated trace id %q / %q", ev.Headers["x-amzn-trace-id"], e.inv.last("root").TraceID)
	}
	if ev.RequestContext.HTTP.UserAgent != "Go-http-client/1.1" {
		t.Errorf("userAgent %q", ev.RequestContext.HTTP.UserAgent)
	}
}

func TestBodyEncoding(t *testing.T) {
	binary := string([]byte{0xff, 0xfe, 0x00, 0x01})
	cases := []struct {
		ct, body string
		b64      bool
	}{
		{"application/json", `{"a":1}`, false},
		{"application/json; charset=utf-8", `{"a":1}`, false},
		{"text/plain", "héllo", false},
		{"text/csv", "a,b", false},
		{"application/xml", "<a/>", false},
		{"application/javascript", "x()", false},
		{"", "no type", true},
		{"application/x-www-form-urlencoded", "a=1&b=2", true},
		{"application/octet-stream", binary, true},
		{"image/png", binary, true},
		{"text/plain", binary, true}, // not UTF-8
	}
	for _, kind := range []string{"2.0", "1.0", "rest"} {
		for _, c := range cases {
			t.Run(kind+" "+c.ct, func(t *testing.T) {
				var e *env
				switch kind {
				case "rest":
					e = newEnv(t, restAPI(rt("POST", "/x", "f")), echoV1)
				case "1.0":
					a := httpAPI(rt("POST", "/x", "f"))
					a.Payload = "1.0"
					e = newEnv(t, a, echoV1)
				default:
					e = newEnv(t, httpAPI(rt("POST", "/x", "f")), echoV2)
				}
				h := http.Header{}
				if c.ct != "" {
					h.Set("Content-Type", c.ct)
				}
				path := "/x"
				if kind == "rest" {
					path = "/dev/x"
				}
				if res := e.do("POST", path, h, c.body); res.status != 200 {
					t.Fatalf("status %d %s", res.status, res.body)
				}
				var ev struct {
					Body            string `json:"body"`
					IsBase64Encoded bool   `json:"isBase64Encoded"`
				}
				_ = json.Unmarshal(e.inv.last("f").Payload, &ev)
				wantB64 := c.b64 && kind != "rest" // REST without binaryMediaTypes passes text
				if ev.IsBase64Encoded != wantB64 {
					t.Fatalf("isBase64Encoded = %v, want %v", ev.IsBase64Encoded, wantB64)
				}
				if wantB64 {
					got, err := base64.StdEncoding.DecodeString(ev.Body)
					if err != nil || string(got) != c.body {
						t.Errorf("body %q does not decode to %q", ev.Body, c.body)
					}
				} else if ev.Body != c.body && (kind != "rest" || !c.b64 || ev.Body == "") {
					t.Errorf("body = %q, want %q", ev.Body, c.body)
				}
			})
		}
	}
}

func TestRESTEventFieldByField(t *testing.T) {
	a := restAPI(rt("GET", "/users/{id}", "users"))
	a.StageVariables = map[string]string{"tbl": "users"}
	e := newEnv(t, a, echoV1)
	h := http.Header{"X-A": {"1", "2"}, "User-Agent": {"ua/1"}, "Cookie": {"a=1"}}
	res := e.do("GET", "/dev/users/a%20b/?x=1&x=2&y", h, "")
	if res.status != 200 {
		t.Fatalf("status %d %s", res.status, res.body)
	}
	payload := e.inv.last("users").Payload
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev.RequestContext
	checks := []struct {
		name      string
		got, want any
	}{
		{"resource", ev.Resource, "/users/{id}"},
		{"path", ev.Path, "/users/a%20b/"},
		{"httpMethod", ev.HTTPMethod, "GET"},
		{"header X-A last", ev.Headers["X-A"], "2"},
		{"multi X-A", strings.Join(ev.MultiValueHeaders["X-A"], "|"), "1|2"},
		{"header Cookie kept", ev.Headers["Cookie"], "a=1"},
		{"header Host", ev.Headers["Host"], strings.TrimPrefix(e.srv.URL, "http://")},
		{"header X-Forwarded-Proto", ev.Headers["X-Forwarded-Proto"], "http"},
		{"header X-Forwarded-For", ev.Headers["X-Forwarded-For"], "127.0.0.1"},
		{"trace header", reTrace.MatchString(ev.Headers["X-Amzn-Trace-Id"]), true},
		{"qs x last", ev.QueryStringParameters["x"], "2"},
		{"qs y", ev.QueryStringParameters["y"], ""},
		{"mvqs x", strings.Join(ev.MultiValueQueryStringParameters["x"], "|"), "1|2"},
		{"pathParameters", ev.PathParameters["id"], "a b"},
		{"stageVariables", ev.StageVariables["tbl"], "users"},
		{"body", ev.Body, ""},
		{"ctx accountId", rc.AccountID, "000000000000"},
		{"ctx apiId", rc.APIID, APIID("shop")},
		{"ctx resourceId", len(rc.ResourceID), 6},
		{"ctx resourcePath", rc.ResourcePath, "/users/{id}"},
		{"ctx path with stage", rc.Path, "/dev/users/a%20b/"},
		{"ctx stage", rc.Stage, "dev"},
		{"ctx httpMethod", rc.HTTPMethod, "GET"},
		{"ctx protocol", rc.Protocol, "HTTP/1.1"},
		{"ctx requestId uuid", reUUID.MatchString(rc.RequestID), true},
		{"ctx requestId = header", rc.RequestID, res.header.Get("X-Amzn-Requestid")},
		{"ctx extendedRequestId", reShortID.MatchString(rc.ExtendedRequestID), true},
		{"ctx extendedRequestId = header", rc.ExtendedRequestID, res.header.Get("X-Amz-Apigw-Id")},
		{"trace header on response", res.header.Get("X-Amzn-Trace-Id"), ev.Headers["X-Amzn-Trace-Id"]},
		{"ctx requestTime", reTime.MatchString(rc.RequestTime), true},
		{"ctx requestTimeEpoch", rc.RequestTime, time.UnixMilli(rc.RequestTimeEpoch).UTC().Format(timeLayout)},
		{"ctx identity sourceIp", rc.Identity.SourceIP, "127.0.0.1"},
		{"ctx identity userAgent", rc.Identity.UserAgent, "ua/1"},
		{"ctx domainName", rc.DomainName, "127.0.0.1"},
		{"ctx authorizer", rc.Authorizer == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	keys := rawKeys(t, payload)
	if _, ok := keys["version"]; ok {
		t.Error("REST event has a version key")
	}
	for k, want := range map[string]string{"body": "null", "isBase64Encoded": "false"} {
		if string(keys[k]) != want {
			t.Errorf("%s = %s, want %s", k, keys[k], want)
		}
	}
	ctxKeys := rawKeys(t, keys["requestContext"])
	ident := rawKeys(t, ctxKeys["identity"])
	for _, k := range []string{"accessKey", "accountId", "apiKey", "caller", "cognitoIdentityId", "user", "userArn", "clientCert"} {
		if string(ident[k]) != "null" {
			t.Errorf("identity.%s = %s, want null", k, ident[k])
		}
	}
	// A query-less, parameter-less request has null maps.
	e2 := newEnv(t, restAPI(rt("GET", "/", "root")), echoV1)
	if res := e2.do("GET", "/dev", nil, ""); res.status != 200 {
		t.Fatalf("root status %d %s", res.status, res.body)
	}
	keys = rawKeys(t, e2.inv.last("root").Payload)
	for _, k := range []string{"queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables"} {
		if string(keys[k]) != "null" {
			t.Errorf("%s = %s, want null", k, keys[k])
		}
	}
}

func TestHTTPPayload1EventFieldByField(t *testing.T) {
	a := httpAPI(rt("ANY", "/files/{proxy+}", "files"))
	a.Payload = "1.0"
	a.Stage = "v1"
	e := newEnv(t, a, echoV1)
	h := http.Header{"X-A": {"1", "2"}, "Cookie": {"a=1"}}
	res := e.do("PUT", "/v1/files/a/b%2Fc?x=1&x=2", h, "hi")
	if res.status != 200 {
		t.Fatalf("status %d %s", res.status, res.body)
	}
	payload := e.inv.last("files").Payload
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"resource", ev.Resource, "/files/{proxy+}"},
		{"path keeps stage", ev.Path, "/v1/files/a/b%2Fc"},
		{"ctx path", ev.RequestContext.Path, "/v1/files/a/b%2Fc"},
		{"proxy", ev.PathParameters["proxy"], "a/b/c"},
		{"header lowercased", ev.Headers["x-a"], "2"},
		{"multi", strings.Join(ev.MultiValueHeaders["x-a"], "|"), "1|2"},
		{"cookie in headers", ev.Headers["cookie"], "a=1"},
		{"qs first", ev.QueryStringParameters["x"], "1"},
		{"mvqs", strings.Join(ev.MultiValueQueryStringParameters["x"], "|"), "1|2"},
		{"stage", ev.RequestContext.Stage, "v1"},
		{"requestId shape", reShortID.MatchString(ev.RequestContext.RequestID), true},
		{"body", ev.Body, "aGk="},
		{"isBase64Encoded", ev.IsBase64Encoded, true},
		{"resourcePath", ev.RequestContext.ResourcePath, "/files/{proxy+}"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	keys := rawKeys(t, payload)
	if string(keys["version"]) != `"1.0"` {
		t.Errorf("version = %s", keys["version"])
	}
	ctx := rawKeys(t, keys["requestContext"])
	if string(ctx["resourceId"]) != "null" {
		t.Errorf("resourceId = %s, want null", ctx["resourceId"])
	}
	if string(ctx["authorizer"]) != `{"claims":null,"scopes":null}` {
		t.Errorf("authorizer = %s", ctx["authorizer"])
	}
}
