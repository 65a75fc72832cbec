package apigateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
)

func corsAPI(c *config.CORS, routes ...*config.Route) *config.API {
	a := httpAPI(routes...)
	a.CORS = c
	return a
}

func TestCORS(t *testing.T) {
	cfg := &config.CORS{
		AllowOrigins: []string{"https://app.example.com", "https://*.dev.example.com"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"content-type", "x-api-key"}, ExposeHeaders: []string{"x-total"}, MaxAge: 300, AllowCredentials: true,
	}
	fnHeaders := ok(`{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"https://evil.example","x-total":"3"},"body":"x"}`)
	preflight := http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"POST"}}
	cases := []struct {
		name   string
		api    *config.API
		method string
		header http.Header
		status int
		want   map[string]string
		fn     string // function expected to be invoked, "" for none
	}{
		{"preflight allowed", corsAPI(cfg, rt("POST", "/x", "f")), "OPTIONS", preflight, 204, map[string]string{
			"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET,POST",
			"Access-Control-Allow-Headers": "content-type,x-api-key", "Access-Control-Max-Age": "300",
			"Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": ""}, ""},
		{"preflight wildcard subdomain", corsAPI(cfg, rt("POST", "/x", "f")), "OPTIONS",
			http.Header{"Origin": {"https://a.dev.example.com"}, "Access-Control-Request-Method": {"GET"}}, 204,
			map[string]string{"Access-Control-Allow-Origin": "https://a.dev.example.com"}, ""},
		{"preflight origin not allowed", corsAPI(cfg, rt("POST", "/x", "f")), "OPTIONS",
			http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"POST"}}, 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, ""},
		{"preflight on unknown path still answered", corsAPI(cfg, rt("POST", "/x", "f")), "OPTIONS", preflight, 204,
			map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}, ""},
		{"explicit OPTIONS route wins", corsAPI(cfg, rt("OPTIONS", "/{proxy+}", "opt"), rt("POST", "/x", "f")), "OPTIONS", preflight, 200,
			map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": ""}, "opt"},
		{"actual request decorated", corsAPI(cfg, rt("GET", "/x", "f")), "GET", http.Header{"Origin": {"https://app.example.com"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Expose-Headers": "x-total",
				"Access-Control-Allow-Credentials": "true", "X-Total": "3"}, "f"},
		{"actual request bad origin stripped", corsAPI(cfg, rt("GET", "/x", "f")), "GET", http.Header{"Origin": {"https://evil.example"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, "f"},
		{"star origin", corsAPI(&config.CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}}, rt("GET", "/x", "f")), "GET",
			http.Header{"Origin": {"https://any.example"}}, 200, map[string]string{"Access-Control-Allow-Origin": "*"}, "f"},
		{"no CORS: OPTIONS routed", httpAPI(rt("ANY", "/x", "f")), "OPTIONS", preflight, 200,
			map[string]string{"Access-Control-Allow-Origin": "https://evil.example"}, "f"},
		{"no CORS: preflight 404", httpAPI(rt("GET", "/x", "f")), "OPTIONS", preflight, 404, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.api, fnHeaders)
			path := "/x"
			if strings.Contains(c.name, "unknown path") {
				path = "/nowhere"
			}
			res := e.do(c.method, path, c.header, "")
			if res.status != c.status {
				t.Fatalf("status %d %q", res.status, res.body)
			}
			for k, v := range c.want {
				if got := res.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if c.fn == "" && len(e.inv.calls) != 0 || c.fn != "" && e.inv.count(c.fn) != 1 {
				t.Errorf("calls %v, want %q", e.inv.calls, c.fn)
			}
			if c.status == 204 && (res.body != "" || res.header.Get("Apigw-Requestid") == "") {
				t.Errorf("preflight body %q headers %v", res.body, res.header)
			}
		})
	}
}

func authAPI(a *config.Authorizer, kind string, routes ...*config.Route) *config.API {
	var api *config.API
	if kind == "rest" {
		api = restAPI(routes...)
	} else {
		api = httpAPI(routes...)
	}
	api.Authorizers = map[string]*config.Authorizer{a.Name: a}
	for _, r := range routes {
		r.Authorizer = a.Name
	}
	return api
}

// simpleAuth allows the token "good" (with context) and denies others.
func simpleAuth(_ context.Context, req lambda.Request) (lambda.Result, error) {
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	_ = json.Unmarshal(req.Payload, &ev)
	out, _ := json.Marshal(events.APIGatewayV2CustomAuthorizerSimpleResponse{
		IsAuthorized: len(ev.IdentitySource) == 1 && ev.IdentitySource[0] == "good",
		Context:      map[string]any{"user": "u1", "n": 7, "tags": []string{"a"}},
	})
	return lambda.Result{StatusCode: 200, Payload: out}, nil
}

func policyAuth(effect, resource string) func(context.Context, lambda.Request) (lambda.Result, error) {
	return func(context.Context, lambda.Request) (lambda.Result, error) {
		return lambda.Result{StatusCode: 200, Payload: []byte(`{"principalId":"me","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"` +
			effect + `","Resource":"` + resource + `"}]},"context":{"user":"u1","n":7,"ok":true}}`)}, nil
	}
}

func TestHTTPAuthorizerSimple(t *testing.T) {
	a := &config.Authorizer{Name: "tok", Function: "auth", IdentitySource: []string{"$request.header.Authorization"}, TTL: time.Hour, SimpleResponses: true, PayloadVersion: "2.0"}
	e := newEnv(t, authAPI(a, "http", rt("GET", "/x/{id}", "f")), echoV2)
	e.inv.on("auth", simpleAuth)

	if res := e.do("GET", "/x/1", nil, ""); res.status != 401 || res.body != `{"message":"Unauthorized"}` {
		t.Fatalf("missing identity: %d %s", res.status, res.body)
	}
	if e.inv.count("auth") != 0 {
		t.Fatal("authorizer invoked without identity")
	}
	if res := e.do("GET", "/x/1", http.Header{"Authorization": {"bad"}}, ""); res.status != 403 || res.body != `{"message":"Forbidden"}` {
		t.Fatalf("deny: %d %s", res.status, res.body)
	}
	res := e.do("GET", "/x/1?q=1", http.Header{"Authorization": {"good"}}, "")
	if res.status != 200 {
		t.Fatalf("allow: %d %s", res.status, res.body)
	}
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(e.inv.last("f").Payload, &ev)
	if ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.Lambda["user"] != "u1" || ev.RequestContext.Authorizer.Lambda["n"] != float64(7) {
		t.Fatalf("authorizer context %+v", ev.RequestContext.Authorizer)
	}
	var ae events.APIGatewayV2CustomAuthorizerV2Request
	_ = json.Unmarshal(e.inv.last("auth").Payload, &ae)
	if ae.Type != "REQUEST" || ae.Version != "2.0" || ae.RouteKey != "GET /x/{id}" || ae.PathParameters["id"] != "1" ||
		ae.RouteArn != "arn:aws:execute-api:us-east-1:000000000000:"+APIID("shop")+"/$default/GET/x/1" ||
		ae.QueryStringParameters["q"] != "1" || ae.Headers["authorization"] != "good" {
		t.Errorf("authorizer event %+v", ae)
	}
	if _, hasBody := rawKeys(t, e.inv.last("auth").Payload)["body"]; hasBody {
		t.Error("authorizer event has a body")
	}
	// Cached: same identity, other route path, no new authorizer call.
	before := e.inv.count("auth")
	for i := 0; i < 3; i++ {
		e.do("GET", "/x/2", http.Header{"Authorization": {"good"}}, "")
		e.do("GET", "/x/3", http.Header{"Authorization": {"bad"}}, "")
	}
	// Both identities were seen above, so every decision (allow and deny)
	// comes from the cache.
	if got := e.inv.count("auth") - before; got != 0 {
		t.Errorf("authorizer calls with cache = %d, want 0", got)
	}
}

func TestAuthorizerCacheTTL(t *testing.T) {
	a := &config.Authorizer{Name: "tok", Function: "auth", IdentitySource: []string{"$request.querystring.token", "$request.header.X-Tenant"}, TTL: 50 * time.Millisecond, SimpleResponses: true, PayloadVersion: "2.0"}
	e := newEnv(t, authAPI(a, "http", rt("GET", "/x", "f")), echoV2)
	e.inv.on("auth", ok(`{"isAuthorized":true}`))
	h := http.Header{"X-Tenant": {"t1"}}
	for i := 0; i < 3; i++ {
		if res := e.do("GET", "/x?token=a", h, ""); res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
	}
	if n := e.inv.count("auth"); n != 1 {
		t.Fatalf("cached calls = %d, want 1", n)
	}
	e.do("GET", "/x?token=b", h, "")
	if n := e.inv.count("auth"); n != 2 {
		t.Fatalf("new identity calls = %d, want 2", n)
	}
	time.Sleep(60 * time.Millisecond) // past the TTL: expiry is guaranteed, not a timing assertion
	e.do("GET", "/x?token=a", h, "")
	if n := e.inv.count("auth"); n != 3 {
		t.Fatalf("after TTL calls = %d, want 3", n)
	}
	if res := e.do("GET", "/x?token=a", nil, ""); res.status != 401 {
		t.Fatalf("second source missing: %d", res.status)
	}
	// TTL 0 disables caching.
	a0 := *a
	a0.TTL = 0
	e.gw.Update(authAPI(&a0, "http", rt("GET", "/x", "f")))
	e.do("GET", "/x?token=a", h, "")
	e.do("GET", "/x?token=a", h, "")
	if n := e.inv.count("auth"); n != 5 {
		t.Fatalf("uncached calls = %d, want 5", n)
	}
}

func TestHTTPAuthorizerIAM(t *testing.T) {
	arn := "arn:aws:execute-api:us-east-1:000000000000:" + APIID("shop")
	cases := []struct {
		name, effect, resource string
		status                 int
	}{
		{"allow exact", "Allow", arn + "/$default/GET/x", 200},
		{"allow wildcard", "Allow", arn + "/*/GET/*", 200},
		{"allow question mark", "Allow", arn + "/$default/GET/?", 200},
		{"allow other route", "Allow", arn + "/$default/POST/x", 403},
		{"deny", "Deny", arn + "/*", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &config.Authorizer{Name: "iam", Function: "auth", IdentitySource: []string{"$request.header.Authorization"}, PayloadVersion: "2.0"}
			e := newEnv(t, authAPI(a, "http", rt("GET", "/x", "f")), echoV2)
			e.inv.on("auth", policyAuth(c.effect, c.resource))
			res := e.do("GET", "/x", http.Header{"Authorization": {"t"}}, "")
			if res.status != c.status {
				t.Fatalf("status %d %s", res.status, res.body)
			}
			if c.status == 200 {
				var ev events.APIGatewayV2HTTPRequest
				_ = json.Unmarshal(e.inv.last("f").Payload, &ev)
				if ev.RequestContext.Authorizer.Lambda["principalId"] != "me" || ev.RequestContext.Authorizer.Lambda["ok"] != true {
					t.Errorf("context %+v", ev.RequestContext.Authorizer.Lambda)
				}
			}
		})
	}
}

func TestHTTPAuthorizerPayload1(t *testing.T) {
	a := &config.Authorizer{Name: "v1", Function: "auth", IdentitySource: []string{"$request.header.Authorization", "$context.routeKey"}, PayloadVersion: "1.0"}
	api := authAPI(a, "http", rt("GET", "/x", "f"))
	api.Payload = "1.0"
	e := newEnv(t, api, echoV1)
	e.inv.on("auth", policyAuth("Allow", "*"))
	if res := e.do("GET", "/x", http.Header{"Authorization": {"tok"}}, ""); res.status != 200 {
		t.Fatalf("status %d %s", res.status, res.body)
	}
	var ae events.APIGatewayV2CustomAuthorizerV1Request
	_ = json.Unmarshal(e.inv.last("auth").Payload, &ae)
	if ae.Version != "1.0" || ae.Type != "REQUEST" || ae.IdentitySource != "tok,GET /x" || ae.AuthorizationToken != "tok,GET /x" ||
		!strings.HasSuffix(ae.MethodArn, "/$default/GET/x") || ae.Resource != "/x" || ae.HTTPMethod != "GET" || ae.RequestContext.APIID != APIID("shop") {
		t.Errorf("v1 authorizer event %+v", ae)
	}
	var ev events.APIGatewayProxyRequest
	_ = json.Unmarshal(e.inv.last("f").Payload, &ev)
	if ev.RequestContext.Authorizer["principalId"] != "me" || ev.RequestContext.Authorizer["user"] != "u1" {
		t.Errorf("authorizer %v", ev.RequestContext.Authorizer)
	}
	if _, ok := ev.RequestContext.Authorizer["integrationLatency"]; !ok {
		t.Error("integrationLatency missing")
	}
}

func TestRESTAuthorizer(t *testing.T) {
	cases := []struct {
		name    string
		fn      func(context.Context, lambda.Request) (lambda.Result, error)
		header  http.Header
		status  int
		body    string
		errType string
	}{
		{"allow", policyAuth("Allow", "arn:aws:execute-api:us-east-1:000000000000:*/dev/GET/items/*"), http.Header{"Authorization": {"t"}}, 200, "", ""},
		{"no matching allow", policyAuth("Allow", "arn:aws:execute-api:us-east-1:000000000000:*/prod/*"), http.Header{"Authorization": {"t"}}, 403,
			`{"Message":"User is not authorized to access this resource"}`, "AccessDeniedException"},
		{"explicit deny", policyAuth("Deny", "*"), http.Header{"Authorization": {"t"}}, 403,
			`{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AccessDeniedException"},
		{"missing identity", policyAuth("Allow", "*"), nil, 401, `{"message":"Unauthorized"}`, "UnauthorizedException"},
		{"raised Unauthorized", func(context.Context, lambda.Request) (lambda.Result, error) {
			return lambda.Result{StatusCode: 200, FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"Unauthorized","errorType":"errorString"}`)}, nil
		}, http.Header{"Authorization": {"t"}}, 401, `{"message":"Unauthorized"}`, "UnauthorizedException"},
		{"other error", funcErr, http.Header{"Authorization": {"t"}}, 500, `{"message": null}`, "AuthorizerConfigurationException"},
		{"invalid response", ok(`{"principalId":"x"}`), http.Header{"Authorization": {"t"}}, 500, `{"message": null}`, "AuthorizerConfigurationException"},
		{"object context rejected", ok(`{"principalId":"x","policyDocument":{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}]},"context":{"a":{"b":1}}}`),
			http.Header{"Authorization": {"t"}}, 500, `{"message": null}`, "AuthorizerConfigurationException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &config.Authorizer{Name: "r", Function: "auth", IdentitySource: []string{"method.request.header.Authorization"}, TTL: time.Minute}
			e := newEnv(t, authAPI(a, "rest", rt("GET", "/items/{id}", "f")), echoV1)
			e.inv.on("auth", c.fn)
			res := e.do("GET", "/dev/items/9?a=1&a=2", c.header, "")
			if res.status != c.status || c.body != "" && res.body != c.body || res.header.Get("X-Amzn-Errortype") != c.errType {
				t.Fatalf("got %d %q %q", res.status, res.body, res.header.Get("X-Amzn-Errortype"))
			}
			if c.status != 200 {
				return
			}
			var ae events.APIGatewayCustomAuthorizerRequestTypeRequest
			_ = json.Unmarshal(e.inv.last("auth").Payload, &ae)
			if ae.Type != "REQUEST" || ae.MethodArn != "arn:aws:execute-api:us-east-1:000000000000:"+APIID("shop")+"/dev/GET/items/9" ||
				ae.Resource != "/items/{id}" || ae.Path != "/items/9" || ae.PathParameters["id"] != "9" ||
				strings.Join(ae.MultiValueQueryStringParameters["a"], ",") != "1,2" || ae.Headers["Authorization"] != "t" ||
				ae.RequestContext.Stage != "dev" || ae.RequestContext.ResourcePath != "/items/{id}" || ae.RequestContext.Identity.SourceIP != "127.0.0.1" {
				t.Errorf("REST authorizer event %+v", ae)
			}
			var ev events.APIGatewayProxyRequest
			_ = json.Unmarshal(e.inv.last("f").Payload, &ev)
			az := ev.RequestContext.Authorizer
			if az["principalId"] != "me" || az["user"] != "u1" || az["n"] != "7" || az["ok"] != "true" {
				t.Errorf("authorizer context %v", az)
			}
		})
	}
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*/GET/*", "x/GET/y/z", true}, {"abc", "abd", false},
		{"a**b", "ab", true}, {"", "", true}, {"", "a", false},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.p, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
