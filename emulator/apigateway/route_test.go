package apigateway

import (
	"net/http"
	"testing"

	"github.com/slsx/slsx/emulator/config"
)

func TestHTTPRoutePriority(t *testing.T) {
	api := httpAPI(
		rt("GET", "/pets/dog/1", "static"),
		rt("GET", "/pets/dog/{id}", "param"),
		rt("GET", "/pets/{proxy+}", "petsGreedy"),
		rt("ANY", "/{proxy+}", "rootGreedy"),
		rt("ANY", "/things/{id}", "anyThing"),
		rt("DELETE", "/things/{id}", "deleteThing"),
		rt("GET", "/{a}/x", "paramFirst"),
		rt("GET", "/users", "users"),
		rt("GET", "/users/", "usersSlash"),
		rt("GET", "/", "root"),
		&config.Route{API: "shop", Path: "$default", Function: "default"},
	)
	cases := []struct {
		method, path, fn, key string
		params                map[string]string
	}{
		{"GET", "/pets/dog/1", "static", "GET /pets/dog/1", nil},
		{"GET", "/pets/dog/2", "param", "GET /pets/dog/{id}", map[string]string{"id": "2"}},
		{"GET", "/pets/cat/1", "petsGreedy", "GET /pets/{proxy+}", map[string]string{"proxy": "cat/1"}},
		{"POST", "/test/5", "rootGreedy", "ANY /{proxy+}", map[string]string{"proxy": "test/5"}},
		{"POST", "/pets/dog/1", "rootGreedy", "ANY /{proxy+}", map[string]string{"proxy": "pets/dog/1"}},
		{"DELETE", "/things/7", "deleteThing", "DELETE /things/{id}", map[string]string{"id": "7"}},
		{"PATCH", "/things/7", "anyThing", "ANY /things/{id}", map[string]string{"id": "7"}},
		// A full match without a greedy variable beats a greedy route even
		// when the greedy route has a longer literal prefix.
		{"GET", "/pets/x", "paramFirst", "GET /{a}/x", map[string]string{"a": "pets"}},
		{"GET", "/users", "users", "GET /users", nil},
		{"GET", "/users/", "usersSlash", "GET /users/", nil},
		{"GET", "/", "root", "GET /", nil},
		{"POST", "/", "default", "$default", nil},
		{"GET", "/pets/", "rootGreedy", "ANY /{proxy+}", map[string]string{"proxy": "pets/"}},
		// %2F is decoded before matching, so it splits the segment.
		{"GET", "/pets/dog%2F1", "static", "GET /pets/dog/1", nil},
		{"GET", "/pets/dog/a%20b", "param", "GET /pets/dog/{id}", map[string]string{"id": "a b"}},
		// Case-sensitive.
		{"GET", "/Users", "rootGreedy", "ANY /{proxy+}", map[string]string{"proxy": "Users"}},
	}
	e := newEnv(t, api, ok(`{"statusCode":200}`))
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			e.do(c.method, c.path, nil, "")
			req := e.inv.calls[len(e.inv.calls)-1]
			if req.Function != c.fn || req.Trigger != c.key {
				t.Fatalf("routed to %s (%s), want %s (%s)", req.Function, req.Trigger, c.fn, c.key)
			}
			rr := &e.gw.state.Load().router
			rt, params := rr.find(c.method, splitPath(decodePath(t, c.path)), false)
			if rt.key != c.key || len(params) != len(c.params) {
				t.Fatalf("find: %s %v", rt.key, params)
			}
			for k, v := range c.params {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}

func decodePath(t *testing.T, p string) string {
	r, err := http.NewRequest("GET", "http://x"+p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.URL.Path
}

func TestRESTRoutePriority(t *testing.T) {
	api := restAPI(
		rt("GET", "/pets/{id}", "petParam"),
		rt("GET", "/pets/mine", "petMine"),
		rt("ANY", "/pets/{id}/{proxy+}", "petGreedy"),
		rt("POST", "/pets/mine", "petMinePost"),
		rt("ANY", "/{proxy+}", "root"),
		rt("GET", "/{a}/x", "paramFirst"),
		rt("GET", "/", "index"),
	)
	cases := []struct{ method, path, fn string }{
		{"GET", "/dev/pets/mine", "petMine"},
		{"GET", "/dev/pets/mine/", "petMine"}, // trailing slash ignored
		{"POST", "/dev/pets/mine", "petMinePost"},
		{"GET", "/dev/pets/7", "petParam"},
		{"GET", "/dev/pets/7/a/b", "petGreedy"},
		// Level by level: the literal "pets" resource beats {a}.
		{"GET", "/dev/pets/x", "petParam"},
		{"GET", "/dev/cats/x", "paramFirst"},
		// Fallback to a less specific resource with a usable method.
		{"PUT", "/dev/pets/mine", "root"},
		{"GET", "/dev", "index"},
		{"GET", "/dev/", "index"},
	}
	e := newEnv(t, api, ok(`{"statusCode":200}`))
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			if res := e.do(c.method, c.path, nil, ""); res.status != 200 {
				t.Fatalf("status %d %s", res.status, res.body)
			}
			if got := e.inv.calls[len(e.inv.calls)-1].Function; got != c.fn {
				t.Fatalf("routed to %s, want %s", got, c.fn)
			}
		})
	}
}

func TestNoRoute(t *testing.T) {
	cases := []struct {
		name     string
		api      *config.API
		method   string
		path     string
		status   int
		body     string
		errType  string
		idHeader string
	}{
		{"http no route", httpAPI(rt("GET", "/a", "f")), "GET", "/b", 404, `{"message":"Not Found"}`, "", "Apigw-Requestid"},
		{"http wrong method", httpAPI(rt("GET", "/a", "f")), "POST", "/a", 404, `{"message":"Not Found"}`, "", "Apigw-Requestid"},
		{"http trailing slash", httpAPI(rt("GET", "/a", "f")), "GET", "/a/", 404, `{"message":"Not Found"}`, "", "Apigw-Requestid"},
		{"http param needs a segment", httpAPI(rt("GET", "/a/{id}", "f")), "GET", "/a/", 404, `{"message":"Not Found"}`, "", "Apigw-Requestid"},
		{"http greedy needs a segment", httpAPI(rt("GET", "/a/{p+}", "f")), "GET", "/a", 404, `{"message":"Not Found"}`, "", "Apigw-Requestid"},
		{"http named stage missing", func() *config.API { a := httpAPI(rt("GET", "/a", "f")); a.Stage = "dev"; return a }(), "GET", "/a", 404, `{"message":"Not Found"}`, "", "Apigw-Requestid"},
		{"rest no resource", restAPI(rt("GET", "/a", "f")), "GET", "/dev/b", 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", "X-Amzn-Requestid"},
		{"rest no method", restAPI(rt("GET", "/a", "f")), "DELETE", "/dev/a", 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", "X-Amzn-Requestid"},
		{"rest no stage", restAPI(rt("GET", "/a", "f")), "GET", "/a", 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", "X-Amzn-Requestid"},
		{"rest greedy not root", restAPI(rt("ANY", "/{proxy+}", "f")), "GET", "/dev/", 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", "X-Amzn-Requestid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.api, ok(`{"statusCode":200}`))
			res := e.do(c.method, c.path, nil, "")
			if res.status != c.status || res.body != c.body || res.header.Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %q %q", res.status, res.body, res.header.Get("Content-Type"))
			}
			if res.header.Get("X-Amzn-Errortype") != c.errType || res.header.Get(c.idHeader) == "" {
				t.Errorf("headers %v", res.header)
			}
			if len(e.inv.calls) != 0 {
				t.Errorf("function invoked")
			}
		})
	}
}

func TestNamedStageAndBasePath(t *testing.T) {
	a := httpAPI(rt("GET", "/pets/{id}", "f"))
	a.Stage = "dev"
	a.BasePath = "/shop"
	b := httpAPI(rt("GET", "/pets/{id}", "g"))
	b.Name = "other"
	inv := &fakeInvoker{def: echoV2}
	ga, gb := New(a, Options{Invoker: inv}), New(b, Options{Invoker: inv})
	e := &env{t: t, inv: inv}
	e.srv = newServer(t, Handler([]*Gateway{gb, ga}))
	res := e.do("GET", "/shop/dev/pets/1", nil, "")
	if res.status != 200 || inv.last("f").Function != "f" {
		t.Fatalf("status %d %v", res.status, inv.calls)
	}
	ev := rawKeys(t, inv.last("f").Payload)
	if string(ev["rawPath"]) != `"/dev/pets/1"` {
		t.Errorf("rawPath %s", ev["rawPath"])
	}
	if !jsonHas(t, ev["requestContext"], "stage", `"dev"`) {
		t.Errorf("stage: %s", ev["requestContext"])
	}
	if res := e.do("GET", "/pets/2", nil, ""); res.status != 200 || inv.last("g").Function != "g" {
		t.Fatalf("other api: %d", res.status)
	}
	if res := e.do("GET", "/shopping/dev/pets/1", nil, ""); res.status != 404 {
		t.Fatalf("prefix must match whole segments: %d", res.status)
	}
	groups := GroupByPort([]*Gateway{ga, gb}, 3000)
	if len(groups[3000]) != 2 {
		t.Errorf("groups %v", groups)
	}
}

func jsonHas(t *testing.T, obj []byte, key, want string) bool {
	return string(rawKeys(t, obj)[key]) == want
}

func TestValidate(t *testing.T) {
	bad := httpAPI(rt("GET", "/a/{p+}/b", "f"), rt("GET", "/x", "f"))
	bad.Routes[1].Authorizer = "nope"
	bad.CORS = &config.CORS{AllowOrigins: []string{"*"}, AllowCredentials: true}
	err := Validate(bad)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"greedy", "unknown authorizer", "allowCredentials"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := Validate(httpAPI(rt("GET", "/a/{id}/{p+}", "f"))); err != nil {
		t.Errorf("valid api: %v", err)
	}
}
