package apigateway

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// TestLambdaThrottled drives the gateway with the real Lambda service: a
// function with reserved concurrency 0 is refused by Lambda with
// TooManyRequestsException, which API Gateway turns into 500 with its
// internal-error body on every API type (Lambda developer guide,
// "Handling Lambda errors with an API Gateway API").
func TestLambdaThrottled(t *testing.T) {
	bus := telemetry.New()
	svc := lambda.New(lambda.Options{Bus: bus})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.Close(ctx)
	})
	// Nothing runs, so no artifact is needed: Lambda refuses first.
	fn := &config.Function{Name: "off", Concurrency: config.ReservedZero}
	if err := svc.Deploy(fn, t.TempDir(), 1); err != nil {
		t.Fatal(err)
	}
	// The service itself answers a throttle, as the SDK would see it.
	_, err := svc.Invoke(context.Background(), lambda.Request{Function: "off", Type: lambda.RequestResponse, Payload: []byte(`{}`)})
	if ae, ok := err.(*awsapi.Error); !ok || ae.Code != "TooManyRequestsException" || ae.Status != http.StatusTooManyRequests {
		t.Fatalf("Invoke of a reserved-0 function: %v", err)
	}

	http1 := httpAPI(rt("GET", "/x", "off"))
	http1.Payload = "1.0"
	for _, c := range []struct {
		name    string
		api     *config.API
		path    string
		body    string
		errType string
	}{
		{"REST", restAPI(rt("GET", "/x", "off")), "/dev/x", v1ISE, "InternalServerErrorException"},
		{"HTTP payload 2.0", httpAPI(rt("GET", "/x", "off")), "/x", v2ISE, ""},
		{"HTTP payload 1.0", http1, "/x", v2ISE, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			gw := New(c.api, Options{Identity: awsapi.DefaultIdentity(), Invoker: svc, Bus: bus})
			srv := newServer(t, Handler([]*Gateway{gw}))
			resp, err := http.Get(srv.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			body := string(b)
			if resp.StatusCode != http.StatusInternalServerError || body != c.body {
				t.Fatalf("got %d %q, want 500 %q", resp.StatusCode, body, c.body)
			}
			if got := resp.Header.Get("x-amzn-ErrorType"); got != c.errType {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, c.errType)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
