package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/slsx/slsx/emulator/config"
)

func TestHandlerEnvironment(t *testing.T) {
	h := newHarness(t, Options{})
	h.deploy("info", "echo", func(f *config.Function) {
		f.MemoryMB = 256
		f.Timeout = 7 * time.Second
		f.Environment = map[string]string{"TABLE": "users", "AWS_REGION": "eu-west-1", "LANG": "C.UTF-8"}
	})
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	start := time.Now()
	out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{
		FunctionName: aws.String("info"), Payload: []byte(`{"info":true}`), ClientContext: aws.String(cc),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Env           map[string]string
		RequestID     string
		FunctionArn   string
		ClientContext map[string]string
		DeadlineMs    int64
		Cwd           string
		TraceEnv      string
		TraceCtx      string
		FunctionName  string
		Memory        int
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "info",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/info",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      "us-east-1", // reserved: the user's value is ignored
		"AWS_DEFAULT_REGION":              "us-east-1",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                handlerDir("echo"),
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"TZ":                              ":UTC",
		"LANG":                            "C.UTF-8", // unreserved: the user wins
		"TABLE":                           "users",
		"AWS_ENDPOINT_URL":                h.srv.URL,
		"AWS_ACCESS_KEY_ID":               "slsx",
		"AWS_SECRET_ACCESS_KEY":           "slsx",
		"AWS_SESSION_TOKEN":               "slsx",
	}
	for k, v := range wantEnv {
		if got.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, got.Env[k], v)
		}
	}
	for _, k := range []string{"AWS_EXECUTION_ENV", "_LAMBDA_SERVER_PORT", "AWS_LAMBDA_MAX_CONCURRENCY"} {
		if v, ok := got.Env[k]; ok {
			t.Errorf("%s must not be set, is %q", k, v)
		}
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+/env-\d+$`).MatchString(got.Env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", got.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got.Env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", got.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`).MatchString(got.TraceEnv) || got.TraceCtx != got.TraceEnv {
		t.Errorf("trace env %q ctx %q", got.TraceEnv, got.TraceCtx)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.RequestID) {
		t.Errorf("request id %q", got.RequestID)
	}
	if got.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:info" {
		t.Errorf("function arn %q", got.FunctionArn)
	}
	if got.ClientContext["k"] != "v" {
		t.Errorf("client context %v", got.ClientContext)
	}
	if got.Cwd != handlerDir("echo") {
		t.Errorf("cwd %q", got.Cwd)
	}
	if got.FunctionName != "info" || got.Memory != 256 {
		t.Errorf("lambdacontext name %q memory %d", got.FunctionName, got.Memory)
	}
	// The deadline is dispatch + 7 s: after start+7s, and not later than now+7s.
	if dl := time.UnixMilli(got.DeadlineMs); dl.Before(start.Add(7*time.Second-time.Millisecond)) || dl.After(time.Now().Add(7*time.Second)) {
		t.Errorf("deadline %v not 7s after dispatch (start %v)", dl, start)
	}

	// A trace id sent by the caller reaches the handler unchanged.
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	resp, body := h.rawInvoke("/2015-03-31/functions/info/invocations", map[string]string{"X-Amzn-Trace-Id": trace}, []byte(`{"info":true}`))
	if resp.StatusCode != 200 || decodeJSON(t, body)["traceEnv"] != trace || resp.Header.Get("X-Amzn-Trace-Id") != trace {
		t.Errorf("trace propagation: %d %s %q", resp.StatusCode, body, resp.Header.Get("X-Amzn-Trace-Id"))
	}
}

// TestInvokeAPIErrors checks the platform errors byte for byte on the wire
// and that the SDK maps them to its typed errors.
func TestInvokeAPIErrors(t *testing.T) {
	h := newHarness(t, Options{})
	h.deploy("echo", "echo", nil)
	h.deploy("disabled", "echo", func(f *config.Function) { f.Concurrency = -1 })
	big := []byte(`"` + strings.Repeat("x", MaxSyncPayload) + `"`)
	asyncBig := []byte(`"` + strings.Repeat("x", MaxAsyncPayload) + `"`)
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		body    []byte
		status  int
		errType string
		body0   string // exact body, when set
	}{
		{name: "not found", path: "/2015-03-31/functions/nope/invocations", status: 404, errType: "ResourceNotFoundException",
			body0: `{"Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope","Type":"User"}`},
		{name: "unknown qualifier", path: "/2015-03-31/functions/echo/invocations?Qualifier=prod", status: 404, errType: "ResourceNotFoundException",
			body0: `{"Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:echo:prod","Type":"User"}`},
		{name: "qualifier mismatch", path: "/2015-03-31/functions/echo:v1/invocations?Qualifier=v2", status: 400, errType: "InvalidParameterValueException",
			body0: `{"Type":"User","message":"The derived qualifier from the function name does not match the specified qualifier."}`},
		{name: "invalid json", path: "/2015-03-31/functions/echo/invocations", body: []byte(`{"a":`), status: 400, errType: "InvalidRequestContentException"},
		{name: "bad client context", path: "/2015-03-31/functions/echo/invocations", headers: map[string]string{"X-Amz-Client-Context": "not base64!"}, status: 400, errType: "InvalidRequestContentException",
			body0: `{"Type":"User","message":"Client context must be a valid Base64-encoded JSON object."}`},
		{name: "sync too large", path: "/2015-03-31/functions/echo/invocations", body: big, status: 413, errType: "RequestEntityTooLargeException",
			body0: `{"message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`},
		{name: "async too large", path: "/2015-03-31/functions/echo/invocations", headers: map[string]string{"X-Amz-Invocation-Type": "Event"}, body: asyncBig, status: 413, errType: "RequestEntityTooLargeException",
			body0: `{"message":"1048578 byte payload is too large for the Event invocation type (limit 1048576 bytes)"}`},
		{name: "bad invocation type", path: "/2015-03-31/functions/echo/invocations", headers: map[string]string{"X-Amz-Invocation-Type": "Later"}, status: 400, errType: "InvalidParameterValueException"},
		{name: "bad log type", path: "/2015-03-31/functions/echo/invocations", headers: map[string]string{"X-Amz-Log-Type": "All"}, status: 400, errType: "InvalidParameterValueException"},
		{name: "bad name", path: "/2015-03-31/functions/a%20b/invocations", status: 400, errType: "ValidationException"},
		{name: "reserved concurrency 0", path: "/2015-03-31/functions/disabled/invocations", status: 429, errType: "TooManyRequestsException",
			body0: `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`},
		{name: "dry run", path: "/2015-03-31/functions/echo/invocations", headers: map[string]string{"X-Amz-Invocation-Type": "DryRun"}, status: 204},
		{name: "dry run not found", path: "/2015-03-31/functions/nope/invocations", headers: map[string]string{"X-Amz-Invocation-Type": "DryRun"}, status: 404, errType: "ResourceNotFoundException"},
		{name: "event", path: "/2015-03-31/functions/echo/invocations", headers: map[string]string{"X-Amz-Invocation-Type": "Event"}, body: []byte(`{}`), status: 202},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.rawInvoke(tc.path, tc.headers, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get("X-Amzn-Errortype"); got != tc.errType {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, tc.errType)
			}
			if tc.body0 != "" && strings.TrimSpace(string(body)) != tc.body0 {
				t.Errorf("body %s\nwant %s", body, tc.body0)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if tc.status >= 400 && resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}

	// The SDK resolves the typed errors.
	_, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "function:nope") {
		t.Errorf("not found via SDK: %v", err)
	}
	_, err = h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("disabled")})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("throttle via SDK: %v", err)
	}
	_, err = h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte("{")})
	var ic *types.InvalidRequestContentException
	if !errors.As(err, &ic) {
		t.Errorf("invalid content via SDK: %v", err)
	}
}
