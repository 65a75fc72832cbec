package apigateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// fakeInvoker records every request and answers with fn (per function).
type fakeInvoker struct {
	mu    sync.Mutex
	calls []lambda.Request
	fns   map[string]func(ctx context.Context, req lambda.Request) (lambda.Result, error)
	def   func(ctx context.Context, req lambda.Request) (lambda.Result, error)
}

func (f *fakeInvoker) Invoke(ctx context.Context, req lambda.Request) (lambda.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	fn := f.fns[req.Function]
	f.mu.Unlock()
	if fn == nil {
		fn = f.def
	}
	return fn(ctx, req)
}

func (f *fakeInvoker) count(function string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Function == function {
			n++
		}
	}
	return n
}

func (f *fakeInvoker) last(function string) lambda.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i].Function == function {
			return f.calls[i]
		}
	}
	return lambda.Request{}
}

func (f *fakeInvoker) on(function string, fn func(ctx context.Context, req lambda.Request) (lambda.Result, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fns == nil {
		f.fns = map[string]func(ctx context.Context, req lambda.Request) (lambda.Result, error){}
	}
	f.fns[function] = fn
}

func ok(payload string) func(context.Context, lambda.Request) (lambda.Result, error) {
	return func(context.Context, lambda.Request) (lambda.Result, error) {
		return lambda.Result{StatusCode: 200, Payload: []byte(payload)}, nil
	}
}

// echoV2 returns the event itself: with payload 2.0 inference it becomes
// the 200 body.
func echoV2(_ context.Context, req lambda.Request) (lambda.Result, error) {
	return lambda.Result{StatusCode: 200, Payload: req.Payload}, nil
}

// echoV1 wraps the event in a proxy response.
func echoV1(_ context.Context, req lambda.Request) (lambda.Result, error) {
	out, _ := json.Marshal(map[string]any{"statusCode": 200, "body": string(req.Payload)})
	return lambda.Result{StatusCode: 200, Payload: out}, nil
}

type env struct {
	t   *testing.T
	inv *fakeInvoker
	gw  *Gateway
	srv *httptest.Server
	bus *telemetry.Bus
}

func newEnv(t *testing.T, api *config.API, def func(context.Context, lambda.Request) (lambda.Result, error)) *env {
	t.Helper()
	inv := &fakeInvoker{def: def}
	bus := telemetry.New()
	gw := New(api, Options{Identity: awsapi.DefaultIdentity(), Invoker: inv, Bus: bus})
	srv := httptest.NewServer(Handler([]*Gateway{gw}))
	t.Cleanup(srv.Close)
	return &env{t: t, inv: inv, gw: gw, srv: srv, bus: bus}
}

type result struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path string, header http.Header, body string) result {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func httpAPI(routes ...*config.Route) *config.API {
	return &config.API{Name: "shop", Type: "http", Payload: "2.0", Stage: "$default", Routes: routes}
}

func restAPI(routes ...*config.Route) *config.API {
	return &config.API{Name: "shop", Type: "rest", Payload: "1.0", Stage: "dev", Routes: routes}
}

func rt(method, path, fn string) *config.Route {
	return &config.Route{API: "shop", Method: method, Path: path, Function: fn}
}

// rawKeys decodes a JSON object's top-level keys.
func rawKeys(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
