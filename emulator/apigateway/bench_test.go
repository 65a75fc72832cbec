package apigateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slsx/slsx/emulator/lambda"
)

// instant answers at once, so a benchmark measures only the gateway.
func instant(context.Context, lambda.Request) (lambda.Result, error) {
	return lambda.Result{StatusCode: 200, Payload: []byte(`{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"ok\":true}"}`)}, nil
}

func benchAPI() *Gateway {
	api := httpAPI(rt("GET", "/users", "list"), rt("GET", "/users/{id}", "get"), rt("POST", "/users", "create"),
		rt("ANY", "/files/{proxy+}", "files"), rt("GET", "/orders/{id}/items/{item}", "items"))
	return New(api, Options{Invoker: &fakeInvoker{def: instant}})
}

// BenchmarkDirectInvoke is the baseline: the fake invoker alone.
func BenchmarkDirectInvoke(b *testing.B) {
	inv := &fakeInvoker{def: instant}
	req := lambda.Request{Function: "get", Payload: []byte(`{}`)}
	for b.Loop() {
		_, _ = inv.Invoke(context.Background(), req)
		inv.calls = inv.calls[:0]
	}
}

// BenchmarkServeHTTP is the gateway's added work per request: routing,
// event building, JSON, response mapping (in process, no socket).
func BenchmarkServeHTTP(b *testing.B) {
	gw := benchAPI()
	inv := gw.opts.Invoker.(*fakeInvoker)
	req := httptest.NewRequest("GET", "/users/42?expand=orders&x=1", nil)
	req.Header.Set("User-Agent", "bench")
	req.Header.Set("Accept", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		inv.mu.Lock()
		inv.calls = inv.calls[:0]
		inv.mu.Unlock()
	}
}

// BenchmarkEndToEnd sends real HTTP requests over a loopback socket.
func BenchmarkEndToEnd(b *testing.B) {
	gw := benchAPI()
	inv := gw.opts.Invoker.(*fakeInvoker)
	srv := httptest.NewServer(gw)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(srv.URL + "/users/42?expand=orders")
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			inv.mu.Lock()
			inv.calls = inv.calls[:0]
			inv.mu.Unlock()
		}
	})
}
