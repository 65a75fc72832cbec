package docker

import (
	"context"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
)

// benchMemoryMB is one full vCPU in Lambda's scale, so the CPU quota does
// not dominate the measured overhead.
const benchMemoryMB = 1769

// nextServer is a Runtime API reduced to the first GET /next: it reports
// which environment asked and holds the request until the test ends.
type nextServer struct {
	mu      sync.Mutex
	waiters map[string]chan struct{}
	srv     *http.Server
	addr    string
}

func newNextServer(tb testing.TB, host string) *nextServer {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	n := &nextServer{waiters: map[string]chan struct{}{}, addr: ln.Addr().String()}
	n.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		n.mu.Lock()
		ch := n.waiters[env]
		delete(n.waiters, env)
		n.mu.Unlock()
		if ch != nil {
			close(ch)
		}
		<-r.Context().Done()
	})}
	go n.srv.Serve(ln)
	tb.Cleanup(func() { n.srv.Close() })
	return n
}

func (n *nextServer) expect(env string) <-chan struct{} {
	ch := make(chan struct{})
	n.mu.Lock()
	n.waiters[env] = ch
	n.mu.Unlock()
	return ch
}

// benchColdStart measures Start until the environment's first GET /next
// (create + start + runtime init) and reports the median.
func benchColdStart(b *testing.B, ex lambda.Executor, host string) {
	n := newNextServer(b, host)
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env := strings.ReplaceAll("bench-"+time.Now().Format("150405.000000000"), ".", "-")
		times = append(times, coldStart(b, ex, n, env))
	}
	b.StopTimer()
	b.ReportMetric(float64(median(times).Microseconds())/1000, "ms-median")
}

// coldStart starts environment env and returns the time to its first GET
// /next; the environment is killed again outside the timer.
func coldStart(b *testing.B, ex lambda.Executor, n *nextServer, env string) time.Duration {
	api := n.addr + "/" + env
	got := n.expect(env)
	start := time.Now()
	e, err := ex.Start(context.Background(), lambda.EnvSpec{
		Function: "bench", EnvID: env, Generation: 1, Dir: handlerDir("echo"), MemoryMB: 128,
		Environ: []string{"AWS_LAMBDA_RUNTIME_API=" + api, "PATH=/usr/bin:/bin"}, RuntimeAPI: api, Output: io.Discard,
	})
	if err != nil {
		b.Fatal(err)
	}
	select {
	case <-got:
	case <-e.Done():
		b.Fatalf("environment exited: %v", e.Err())
	case <-time.After(30 * time.Second):
		b.Fatal("no GET /next")
	}
	took := time.Since(start)
	b.StopTimer()
	_ = e.Kill()
	<-e.Done()
	b.StartTimer()
	return took
}

func BenchmarkColdStart(b *testing.B) {
	b.Run("docker", func(b *testing.B) {
		x := newExecutor(b)
		if _, err := x.images.resolve(context.Background(), ""); err != nil {
			b.Fatal(err)
		}
		benchColdStart(b, x, x.HostIP())
	})
	b.Run("process", func(b *testing.B) { benchColdStart(b, lambda.ProcessExecutor{}, "127.0.0.1") })
}

// BenchmarkWarmInvoke is a warm synchronous invocation through
// lambda.Service; docker minus process is the executor's overhead.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, name := range []string{"process", "docker"} {
		b.Run(name, func(b *testing.B) {
			var h *harness
			if name == "docker" {
				h = newHarness(b, lambda.Options{})
			} else {
				h = harnessOf(lambdatest.New(b, processTarget(), lambda.Options{}))
			}
			h.deploy("echo", "echo", 1, func(f *config.Function) { f.MemoryMB = benchMemoryMB })
			req := lambda.Request{Function: "echo", Payload: []byte(`{"k":"v"}`), Type: lambda.RequestResponse, Trigger: "bench"}
			if _, err := h.s.Invoke(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := h.s.Invoke(context.Background(), req)
				if err != nil || r.FunctionError != "" {
					b.Fatalf("%v %s", err, r.Payload)
				}
			}
		})
	}
}

// median of ds, which it sorts.
func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// BenchmarkWarmInterleaved runs one warm invocation on each executor in
// turn (process, docker with the log pipe, docker with the attach stream
// alone), so the machine's noise hits all of them alike, and reports each
// one's median and docker's overhead over process (issue #8's target).
func BenchmarkWarmInterleaved(b *testing.B) {
	targets := []struct {
		metric string
		h      *harness
	}{
		{"process-µs", harnessOf(lambdatest.New(b, processTarget(), lambda.Options{}))},
		{"docker-µs", newHarness(b, lambda.Options{})},
		{"attach-µs", harnessOf(lambdatest.New(b, dockerTargetWith(Options{NoLogPipe: true}), lambda.Options{}))},
	}
	req := lambda.Request{Function: "echo", Payload: []byte(`{"k":"v"}`), Type: lambda.RequestResponse, Trigger: "bench"}
	times := make([][]time.Duration, len(targets))
	for _, t := range targets {
		t.h.deploy("echo", "echo", 1, func(f *config.Function) { f.MemoryMB = benchMemoryMB })
		if _, err := t.h.s.Invoke(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, t := range targets {
			start := time.Now()
			r, err := t.h.s.Invoke(context.Background(), req)
			if err != nil || r.FunctionError != "" {
				b.Fatalf("%s: %v %s", t.metric, err, r.Payload)
			}
			times[j] = append(times[j], time.Since(start))
		}
	}
	b.StopTimer()
	med := make([]time.Duration, len(targets))
	for j, t := range targets {
		med[j] = median(times[j])
		b.ReportMetric(float64(med[j].Nanoseconds())/1e3, t.metric)
	}
	b.ReportMetric(float64((med[1]-med[0]).Nanoseconds())/1e3, "overhead-µs")
}

// BenchmarkColdInterleaved starts environments with and without the log
// pipe in turn and reports each one's median time to the first GET /next.
func BenchmarkColdInterleaved(b *testing.B) {
	pipe, attach := newExecutor(b), newExecutorWith(b, Options{NoLogPipe: true})
	n := newNextServer(b, pipe.HostIP())
	times := [2][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, x := range []*Executor{pipe, attach} {
			times[j] = append(times[j], coldStart(b, x, n, "bench-"+strconv.Itoa(i)+"-"+strconv.Itoa(j)))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(median(times[0]).Microseconds())/1000, "pipe-ms")
	b.ReportMetric(float64(median(times[1]).Microseconds())/1000, "attach-ms")
}
