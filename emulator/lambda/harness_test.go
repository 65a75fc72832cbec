package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

// The test handlers are built once per test process, on first use (fuzz
// workers never need them), into a directory removed by TestMain.
var (
	buildOnce   sync.Once
	handlersDir string
	buildErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if handlersDir != "" {
		os.RemoveAll(handlersDir)
	}
	os.Exit(code)
}

func buildHandlers() (string, error) {
	dir, err := os.MkdirTemp("", "slsx-lambda-handlers-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bin") + string(filepath.Separator)
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/handlers/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return dir, fmt.Errorf("build test handlers: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(bin)
	if err != nil {
		return dir, err
	}
	for _, e := range entries {
		d := filepath.Join(dir, e.Name())
		if err := os.MkdirAll(d, 0o755); err != nil {
			return dir, err
		}
		if err := os.Rename(filepath.Join(bin, e.Name()), filepath.Join(d, "bootstrap")); err != nil {
			return dir, err
		}
	}
	return dir, nil
}

// handlerDir returns the artifact directory of a test handler, building
// them all on first use.
func handlerDir(name string) string {
	buildOnce.Do(func() { handlersDir, buildErr = buildHandlers() })
	if buildErr != nil {
		panic(buildErr)
	}
	return filepath.Join(handlersDir, name)
}

type harness struct {
	t      testing.TB
	s      *Service
	bus    *telemetry.Bus
	srv    *httptest.Server
	client *lambdasdk.Client

	mu     sync.Mutex
	events []telemetry.Event
}

// newHarness starts a Service with its Invoke API on an httptest server
// (the edge URL every handler gets) and an SDK client pointed at it.
func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, bus: telemetry.New()}
	var handler http.Handler
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	opts.Bus = h.bus
	opts.EdgeURL = h.srv.URL
	if opts.AsyncRetryBackoff == nil {
		opts.AsyncRetryBackoff = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}
	}
	h.s = New(opts)
	handler = &awsapi.Edge{Lambda: h.s.Handler()}
	ctx, cancel := context.WithCancel(context.Background())
	ch := h.bus.SubscribeN(ctx, 1<<16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		}
	}()
	if err := h.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.client = lambdasdk.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *lambdasdk.Options) { o.BaseEndpoint = aws.String(h.srv.URL) })
	t.Cleanup(func() {
		closeCtx, c := context.WithTimeout(context.Background(), 20*time.Second)
		defer c()
		if err := h.s.Close(closeCtx); err != nil {
			t.Errorf("close: %v", err)
		}
		h.srv.Close()
		cancel()
		<-done
	})
	return h
}

// deploy deploys the named test handler as function name.
func (h *harness) deploy(name, handler string, mod func(*config.Function)) *config.Function {
	h.t.Helper()
	fn := &config.Function{Name: name, MemoryMB: 128, Timeout: 3 * time.Second, Concurrency: 10}
	if mod != nil {
		mod(fn)
	}
	if err := h.s.Deploy(fn, handlerDir(handler), 1); err != nil {
		h.t.Fatal(err)
	}
	return fn
}

func (h *harness) invoke(name string, payload string) *lambdasdk.InvokeOutput {
	h.t.Helper()
	out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)})
	if err != nil {
		h.t.Fatalf("invoke %s: %v", name, err)
	}
	return out
}

// rawInvoke posts to the Invoke API without the SDK, for exact wire checks.
func (h *harness) rawInvoke(path string, headers map[string]string, body []byte) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytesReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// finished returns the InvocationFinished events for a function so far.
func (h *harness) finished(fn string) []telemetry.InvocationFinished {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []telemetry.InvocationFinished
	for _, e := range h.events {
		if f, ok := e.(telemetry.InvocationFinished); ok && f.Function == fn {
			out = append(out, f)
		}
	}
	return out
}

func (h *harness) eventsOf(match func(telemetry.Event) bool) []telemetry.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []telemetry.Event
	for _, e := range h.events {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// waitFor polls cond until it holds; it fails the test after a generous
// bound (a hang guard, not a timing assertion).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return m
}
