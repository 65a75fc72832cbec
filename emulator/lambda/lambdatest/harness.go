// Package lambdatest runs the Lambda behaviour suite — one table of real
// aws-lambda-go handlers (echo, panic, exit, timeout, init errors,
// concurrency and throttling, START/END/REPORT logs, hot swap) — against
// any lambda.Executor. The lambda package runs it on the process executor,
// emulator/lambda/docker on containers: both executors are held to the
// same contract by the same cases.
//
// It is test support: it takes a testing.TB and reports through it.
package lambdatest

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// Target is one executor under test.
type Target struct {
	// Name is the executor's name, as telemetry.EnvStarted.Executor says.
	Name string
	// Setup prepares one harness: it sets opts.Executor (and
	// opts.RuntimeHost when environments cannot reach 127.0.0.1) and
	// returns the listeners the AWS edge serves on; the first one names
	// EdgeURL. No listeners means one on 127.0.0.1:0.
	Setup func(tb testing.TB, opts *lambda.Options) []net.Listener
	// HandlerDir is the artifact directory (holding bootstrap) of the
	// test handler in emulator/lambda/testdata/handlers/<name>.
	HandlerDir func(name string) string
	// Resources counts what the executor still holds for fn in h: live
	// processes or containers. The suite checks it drops to zero when
	// environments are gone.
	Resources func(tb testing.TB, h *Harness, fn string) int
	// MissingBootstrap is a regexp of the Runtime.InvalidEntrypoint error
	// message when the artifact has no bootstrap, after "Error: ".
	MissingBootstrap string
}

// Harness is a lambda.Service on a Target's executor, its Invoke API on
// the edge listeners, an SDK client pointed at it, and every telemetry
// event it published.
type Harness struct {
	TB     testing.TB
	Target Target
	// Executor is the one Target.Setup chose.
	Executor lambda.Executor
	S        *lambda.Service
	Bus      *telemetry.Bus
	EdgeURL  string
	Client   *lambdasdk.Client

	mu     sync.Mutex
	events []telemetry.Event
}

// New starts a harness; everything stops in tb's cleanup.
func New(tb testing.TB, target Target, opts lambda.Options) *Harness {
	tb.Helper()
	h := &Harness{TB: tb, Target: target, Bus: telemetry.New()}
	var lns []net.Listener
	if target.Setup != nil {
		lns = target.Setup(tb, &opts)
	}
	if len(lns) == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = []net.Listener{ln}
	}
	h.Executor = opts.Executor
	h.EdgeURL = "http://" + lns[0].Addr().String()
	opts.Bus = h.Bus
	opts.EdgeURL = h.EdgeURL
	if opts.AsyncRetryBackoff == nil {
		opts.AsyncRetryBackoff = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}
	}
	h.S = lambda.New(opts)
	srv := &http.Server{Handler: &awsapi.Edge{Lambda: h.S.Handler()}, ReadHeaderTimeout: 10 * time.Second}
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := h.Bus.SubscribeN(ctx, 1<<16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		closeCtx, c := context.WithTimeout(context.Background(), 30*time.Second)
		defer c()
		if err := h.S.Close(closeCtx); err != nil {
			tb.Errorf("close: %v", err)
		}
		srv.Close()
		cancel()
		<-done
	})
	if err := h.S.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	h.Client = lambdasdk.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *lambdasdk.Options) { o.BaseEndpoint = aws.String(h.EdgeURL) })
	return h
}

// ListenPair listens on 127.0.0.1 and on ip with the same port, the way
// the stack serves the AWS edge for containers: handlers are told the
// loopback URL, which the docker executor rewrites to the host alias.
func ListenPair(tb testing.TB, ip string) []net.Listener {
	tb.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		b, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return []net.Listener{l, b}
		}
		l.Close()
	}
	tb.Fatal("no port free on both addresses")
	return nil
}

// Deploy deploys the named test handler as function name, generation gen,
// with mod applied to the default settings (128 MB, 10 s, concurrency 10).
func (h *Harness) Deploy(name, handler string, gen int, mod func(*config.Function)) *config.Function {
	h.TB.Helper()
	fn := &config.Function{Name: name, MemoryMB: 128, Timeout: 10 * time.Second, Concurrency: 10}
	if mod != nil {
		mod(fn)
	}
	if err := h.S.Deploy(fn, h.Target.HandlerDir(handler), gen); err != nil {
		h.TB.Fatal(err)
	}
	return fn
}

// Invoke calls name synchronously through the SDK; a client error fails
// the test (a function error does not).
func (h *Harness) Invoke(name, payload string) *lambdasdk.InvokeOutput {
	h.TB.Helper()
	out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)})
	if err != nil {
		h.TB.Fatalf("invoke %s: %v", name, err)
	}
	return out
}

// Finished returns the InvocationFinished events of fn so far.
func (h *Harness) Finished(fn string) []telemetry.InvocationFinished {
	var out []telemetry.InvocationFinished
	for _, e := range h.EventsOf(func(e telemetry.Event) bool {
		f, ok := e.(telemetry.InvocationFinished)
		return ok && f.Function == fn
	}) {
		out = append(out, e.(telemetry.InvocationFinished))
	}
	return out
}

// EventsOf returns the events so far that match.
func (h *Harness) EventsOf(match func(telemetry.Event) bool) []telemetry.Event {
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

// WaitFor polls cond until it holds. The bound is a hang guard, not a
// timing assertion.
func (h *Harness) WaitFor(what string, cond func() bool) {
	h.TB.Helper()
	WaitFor(h.TB, what, cond)
}

// WaitFor polls cond until it holds, failing tb after a generous bound.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// environments is the number of live environments of fn, idle or busy.
func (h *Harness) environments(fn string) int {
	for _, f := range h.S.Functions() {
		if f.Name == fn {
			return f.Idle + f.Busy
		}
	}
	return 0
}
