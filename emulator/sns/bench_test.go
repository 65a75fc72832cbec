package sns

import (
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/slsx/slsx/internal/wirebench"
)

// benchConcurrency is the number of concurrent publishers the brief asks for.
const benchConcurrency = 8

func parallelism() int { return (benchConcurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0) }

func benchPublish(b *testing.B, url, topic string) {
	cl := newClient(url)
	b.SetParallelism(parallelism())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cl.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("benchmark message")}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPublishNoSubscribers: aws-sdk-go-v2 Publish against slsx.
func BenchmarkPublishNoSubscribers(b *testing.B) {
	e := newEnv(b, nil)
	benchPublish(b, e.url, e.createTopic(b, "bench", nil))
}

// BenchmarkPublishCanned is the same client against a server that only
// writes a canned PublishResponse: the floor slsx is compared with.
func BenchmarkPublishCanned(b *testing.B) {
	body := []byte(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", "d74b8436-ae13-5ab4-a9ff-ce54dfea72a0")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	benchPublish(b, "http://"+ln.Addr().String(), "arn:aws:sns:us-east-1:000000000000:bench")
}

// BenchmarkPublishToInvoke: one Publish through the SDK until the Lambda
// invoker is called with its event.
func BenchmarkPublishToInvoke(b *testing.B) {
	e := newEnv(b, nil)
	arn := e.createTopic(b, "bench", nil)
	if _, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"),
		Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")}); err != nil {
			b.Fatal(err)
		}
		<-e.inv.ch
	}
}

// BenchmarkPublishServer is the server's own cost of a Publish: the exact
// bytes the SDK sends, replayed over 8 keep-alive loopback connections by
// a client that does almost nothing (no signing, no XML decoding), so the
// time and the profile are the edge and the service.
func BenchmarkPublishServer(b *testing.B) {
	e := newEnv(b, nil)
	arn := e.createTopic(b, "bench", nil)
	var raw []byte
	cl := awssns.New(awssns.Options{
		BaseEndpoint: aws.String(e.url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  &http.Client{Transport: wirebench.Capture(func(req []byte) { raw = req })},
	})
	if _, err := cl.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("benchmark message")}); err != nil {
		b.Fatal(err)
	}
	wirebench.Replay(b, strings.TrimPrefix(e.url, "http://"), raw, "<MessageId>")
}
