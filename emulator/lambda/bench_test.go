package lambda

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/slsx/slsx/emulator/config"
)

// Benchmarks of the hot path. Each compares slsx with the same SDK client
// against an httptest server that answers at once, so the ratio shows
// what the emulator adds to the client's own cost.
//
//	go test ./emulator/lambda -run '^$' -bench . -benchtime 2000x

var benchPayload = []byte(`{"id":"42","name":"bench"}`)

func benchClient(url string) *lambdasdk.Client {
	return lambdasdk.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}, func(o *lambdasdk.Options) { o.BaseEndpoint = aws.String(url) })
}

func instantServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func slsxTarget(b *testing.B) (*harness, *lambdasdk.Client) {
	h := newHarness(b, Options{})
	h.deploy("echo", "echo", func(f *config.Function) { f.Concurrency = 16 })
	return h, benchClient(h.srv.URL)
}

// serialMedian invokes b.N times one after another and reports the median.
func serialMedian(b *testing.B, c *lambdasdk.Client) {
	ctx := context.Background()
	in := &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: benchPayload}
	if _, err := c.Invoke(ctx, in); err != nil { // warm
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		out, err := c.Invoke(ctx, in)
		lat = append(lat, time.Since(t0))
		if err != nil || out.FunctionError != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "µs-median")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "µs-p99")
}

// concurrent invokes b.N times from 8 goroutines and reports throughput.
func concurrent(b *testing.B, c *lambdasdk.Client) {
	const clients = 8
	ctx := context.Background()
	in := &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: benchPayload}
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ { // warm one environment per client
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = c.Invoke(ctx, in) }()
	}
	wg.Wait()
	var left atomic.Int64
	left.Store(int64(b.N))
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				out, err := c.Invoke(ctx, in)
				if err != nil || out.FunctionError != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "invokes/s")
}

func BenchmarkWarmInvokeSerial(b *testing.B) {
	_, c := slsxTarget(b)
	serialMedian(b, c)
}

func BenchmarkWarmInvokeConcurrent8(b *testing.B) {
	_, c := slsxTarget(b)
	concurrent(b, c)
}

func BenchmarkInstantServerSerial(b *testing.B) { serialMedian(b, benchClient(instantServer(b).URL)) }

func BenchmarkInstantServerConcurrent8(b *testing.B) {
	concurrent(b, benchClient(instantServer(b).URL))
}

// BenchmarkColdStart measures spawn to first GET /next of an environment
// (the emulator's cold-start overhead plus the Go runtime's own start).
func BenchmarkColdStart(b *testing.B) {
	h := newHarness(b, Options{})
	fn := h.deploy("echo", "echo", nil)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A new generation retires the idle environment: the next call is cold.
		if err := h.s.Deploy(fn, handlerDir("echo"), i+2); err != nil {
			b.Fatal(err)
		}
		res, err := h.s.Invoke(context.Background(), Request{Function: "echo", Payload: benchPayload})
		if err != nil || !res.Cold {
			b.Fatalf("not a cold start: %v %+v", err, res)
		}
		total += res.InitDuration
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-init")
}
