package apigateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var fuzzRoutes = []string{"/", "/pets", "/pets/", "/pets/{id}", "/pets/dog/{id}", "/pets/{id}/toys/{toy}", "/pets/{proxy+}", "/{a}/x", "/{proxy+}"}

// FuzzRouter checks that any path either matches nothing or a route that
// really matches it, with non-empty parameters, and never panics.
func FuzzRouter(f *testing.F) {
	for _, s := range []string{"/", "/pets", "/pets/", "/pets/dog/1", "/a/b/c", "//", "/pets//x", "/%2F", "/pets/a%2Fb"} {
		f.Add(s, "GET")
	}
	var routes []*route
	for _, p := range fuzzRoutes {
		segs, err := parseRoutePath(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range []string{"GET", "ANY"} {
			routes = append(routes, &route{key: m + " " + p, method: m, segs: segs, greedy: len(segs) > 0 && segs[len(segs)-1].kind == segGreedy})
		}
	}
	routers := []*router{{routes: routes, tiered: true}, {routes: routes}}
	f.Fuzz(func(t *testing.T, path, method string) {
		segs := splitPath(path)
		for _, rr := range routers {
			rt, params := rr.find(method, segs, false)
			if rt == nil {
				continue
			}
			if _, ok := rt.match(segs); !ok {
				t.Fatalf("%q routed to non-matching %s", path, rt.key)
			}
			if rt.method != "ANY" && rt.method != method {
				t.Fatalf("method %q routed to %s", method, rt.key)
			}
			for k, v := range params {
				if v == "" {
					t.Fatalf("%q: empty parameter %s on %s", path, k, rt.key)
				}
			}
			// No other matching route may beat the chosen one.
			for _, o := range rr.routes {
				if _, ok := o.match(segs); ok && (o.method == method || o.method == "ANY") && better(o, rt, rr.tiered) {
					t.Fatalf("%q: %s beats chosen %s", path, o.key, rt.key)
				}
			}
		}
	})
}

// FuzzParseRoutePath: route templates never panic and round-trip.
func FuzzParseRoutePath(f *testing.F) {
	for _, s := range append(fuzzRoutes, "", "x", "/{", "/{}", "/{+}", "/a/{b+}/c", "/{a}{b}") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		segs, err := parseRoutePath(p)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, s := range segs {
			b.WriteByte('/')
			switch s.kind {
			case segLiteral:
				b.WriteString(s.text)
			case segParam:
				b.WriteString("{" + s.text + "}")
			case segGreedy:
				b.WriteString("{" + s.text + "+}")
			}
		}
		if got := b.String(); got != p && !(p == "/" && got == "") {
			t.Fatalf("round trip %q -> %q", p, got)
		}
	})
}

// FuzzResponseMapping: any function output maps to a response or a clean
// error, never a panic; statuses stay valid.
func FuzzResponseMapping(f *testing.F) {
	for _, s := range []string{`"x"`, `{"statusCode":200}`, `{"statusCode":200,"headers":{"a":"b"},"cookies":["c=1"],"body":"aGk=","isBase64Encoded":true}`,
		`{"statusCode":200,"multiValueHeaders":{"a":["1"]}}`, "{\"statusCode\":200}\x00\x00\x00\x00\x00\x00\x00\x00body", `[]`, `{`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, fn := range []func() (*response, error){
			func() (*response, error) { return mapV2(payload) },
			func() (*response, error) { return mapV1(payload, true) },
			func() (*response, error) { return mapV1(payload, false) },
		} {
			resp, err := fn()
			if err == nil && (resp.status < 100 || resp.status > 599) {
				t.Fatalf("status %d", resp.status)
			}
		}
	})
}

// FuzzRequestPath sends arbitrary request targets through a whole gateway.
func FuzzRequestPath(f *testing.F) {
	for _, s := range []string{"/dev/pets/1", "/dev", "/", "/dev/%2F%2F", "/dev/a/../b", "/dev/pets/1?x=%zz&&=", "/dev//"} {
		f.Add(s)
	}
	inv := &fakeInvoker{def: echoV1}
	gws := []*Gateway{
		New(restAPI(rt("ANY", "/{proxy+}", "f"), rt("GET", "/pets/{id}", "g")), Options{Invoker: inv}),
	}
	h := New(httpAPI(rt("ANY", "/{proxy+}", "f"), rt("GET", "/pets/{id}", "g")), Options{Invoker: &fakeInvoker{def: echoV2}})
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		req, err := http.ReadRequest(bufioReader("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n"))
		if err != nil {
			return
		}
		req.RemoteAddr = "127.0.0.1:1"
		for _, g := range append(gws, h) {
			w := httptest.NewRecorder()
			g.ServeHTTP(w, req)
			if w.Code != 200 && w.Code != 403 && w.Code != 404 {
				t.Fatalf("%q: status %d %s", target, w.Code, w.Body)
			}
		}
	})
}
