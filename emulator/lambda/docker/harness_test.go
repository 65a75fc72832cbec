package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// handlersDir holds the lambda package's test handlers (one directory per
// handler, each with its bootstrap), built once in TestMain.
var handlersDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slsx-docker-handlers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		// The container runs as uid 993: the tree must be traversable.
		if err := os.Chmod(dir, 0o755); err != nil {
			return 1
		}
		bin := filepath.Join(dir, "bin") + string(filepath.Separator)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/handlers/...")
		cmd.Dir = ".." // the lambda package, whose handlers these are
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build test handlers: %v\n%s", err, out)
			return 1
		}
		entries, _ := os.ReadDir(bin)
		for _, e := range entries {
			d := filepath.Join(dir, e.Name())
			if err := os.MkdirAll(d, 0o755); err != nil {
				return 1
			}
			if err := os.Rename(filepath.Join(bin, e.Name()), filepath.Join(d, "bootstrap")); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		handlersDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

func handlerDir(name string) string { return filepath.Join(handlersDir, name) }

// newExecutor returns an executor for this test, or skips the test when
// Docker is unreachable (fails when SLSX_REQUIRE_DOCKER=1).
func newExecutor(tb testing.TB) *Executor {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := New(ctx, Options{Instance: "test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	if err != nil {
		if errors.Is(err, ErrUnavailable) && os.Getenv("SLSX_REQUIRE_DOCKER") != "1" {
			tb.Skipf("docker: %v", err)
		}
		tb.Fatal(err)
	}
	if x.HostIP() == "" {
		tb.Fatal("no bridge gateway: containers cannot reach slsx")
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := x.Close(ctx); err != nil {
			tb.Errorf("close executor: %v", err)
		}
	})
	return x
}

// listenPair listens on 127.0.0.1 and on ip with the same port, the way
// the stack serves the AWS edge in docker mode.
func listenPair(tb testing.TB, ip string) (loop, bridge net.Listener) {
	tb.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		b, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return l, b
		}
		l.Close()
	}
	tb.Fatal("no port free on both addresses")
	return nil, nil
}

type harness struct {
	t      testing.TB
	x      *Executor
	s      *lambda.Service
	bus    *telemetry.Bus
	edge   string
	client *lambdasdk.Client

	mu     sync.Mutex
	events []telemetry.Event
}

// newHarness runs a lambda.Service on the docker executor: the Runtime API
// on the bridge gateway, the Invoke API (the edge) on loopback and the
// gateway, handlers' AWS_ENDPOINT_URL naming loopback (rewritten for the
// container to the host alias).
func newHarness(tb testing.TB, opts lambda.Options) *harness {
	tb.Helper()
	return newHarnessOn(tb, opts, newExecutor(tb))
}

// newHarnessOn is newHarness on x, or on the process executor when x is
// nil (for comparisons).
func newHarnessOn(tb testing.TB, opts lambda.Options, x *Executor) *harness {
	tb.Helper()
	h := &harness{t: tb, x: x, bus: telemetry.New()}
	var loop, bridge net.Listener
	if x != nil {
		loop, bridge = listenPair(tb, x.HostIP())
		opts.Executor = x
		opts.RuntimeHost = net.JoinHostPort(x.HostIP(), "0")
	} else {
		var err error
		if loop, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		opts.Executor = lambda.ProcessExecutor{}
	}
	h.edge = "http://" + loop.Addr().String()
	opts.Bus = h.bus
	opts.EdgeURL = h.edge
	if opts.AsyncRetryBackoff == nil {
		opts.AsyncRetryBackoff = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}
	}
	h.s = lambda.New(opts)
	srv := &http.Server{Handler: &awsapi.Edge{Lambda: h.s.Handler()}, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(loop)
	if bridge != nil {
		go srv.Serve(bridge)
	}
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
		tb.Fatal(err)
	}
	h.client = lambdasdk.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *lambdasdk.Options) { o.BaseEndpoint = aws.String(h.edge) })
	tb.Cleanup(func() {
		closeCtx, c := context.WithTimeout(context.Background(), 30*time.Second)
		defer c()
		if err := h.s.Close(closeCtx); err != nil {
			tb.Errorf("close: %v", err)
		}
		srv.Close()
		cancel()
		<-done
	})
	return h
}

func (h *harness) deploy(name, handler string, gen int, mod func(*config.Function)) *config.Function {
	h.t.Helper()
	fn := &config.Function{Name: name, MemoryMB: 128, Timeout: 10 * time.Second, Concurrency: 10}
	if mod != nil {
		mod(fn)
	}
	if err := h.s.Deploy(fn, handlerDir(handler), gen); err != nil {
		h.t.Fatal(err)
	}
	return fn
}

func (h *harness) invoke(name, payload string) *lambdasdk.InvokeOutput {
	h.t.Helper()
	out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)})
	if err != nil {
		h.t.Fatalf("invoke %s: %v", name, err)
	}
	return out
}

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

// containers lists this harness's containers matching extra label filters.
func (h *harness) containers(labels ...string) []container.Summary {
	h.t.Helper()
	args := filters.NewArgs(filters.Arg("label", LabelInstance+"="+h.x.Instance()))
	for _, l := range labels {
		args.Add("label", l)
	}
	list, err := h.x.Client().ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// waitFor polls cond; the bound is a hang guard, not a timing assertion.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
