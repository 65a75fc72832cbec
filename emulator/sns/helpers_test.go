package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// fakeInvoker records every invocation.
type fakeInvoker struct {
	mu   sync.Mutex
	reqs []lambda.Request
	ch   chan lambda.Request
	err  func(n int) error // error for the n-th call (from 1), or nil
}

func newFakeInvoker() *fakeInvoker { return &fakeInvoker{ch: make(chan lambda.Request, 1024)} }

func (f *fakeInvoker) Invoke(_ context.Context, req lambda.Request) (lambda.Result, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	n := len(f.reqs)
	f.mu.Unlock()
	if f.err != nil {
		if err := f.err(n); err != nil {
			return lambda.Result{}, err
		}
	}
	f.ch <- req
	return lambda.Result{StatusCode: http.StatusAccepted, RequestID: awsapi.RequestID()}, nil
}

func (f *fakeInvoker) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// wait returns the next invocation or fails after a generous deadline
// (a hang guard, not a timing assertion).
func (f *fakeInvoker) wait(t *testing.T) lambda.Request {
	t.Helper()
	select {
	case r := <-f.ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no invocation arrived")
	}
	return lambda.Request{}
}

type env struct {
	svc    *Service
	url    string
	client *awssns.Client
	inv    *fakeInvoker
	bus    *telemetry.Bus
}

// newEnv starts a Service behind the real awsapi.Edge on a loopback port.
func newEnv(t testing.TB, mod func(*Options)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	inv := newFakeInvoker()
	bus := telemetry.New()
	opts := Options{Identity: awsapi.DefaultIdentity(), Bus: bus, Invoker: inv, PublicURL: url}
	if mod != nil {
		mod(&opts)
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: &awsapi.Edge{SNS: svc.Handler(), Extra: svc.ExtraHandlers()}, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = svc.Close()
		_ = srv.Close()
	})
	return &env{svc: svc, url: url, client: newClient(url), inv: inv, bus: bus}
}

func newClient(url string) *awssns.Client {
	return awssns.New(awssns.Options{
		BaseEndpoint:     aws.String(url),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

func (e *env) createTopic(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.client.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic(%s): %v", name, err)
	}
	return *out.TopicArn
}

// verifySignature checks an SNS message the way AWS documents it: fetch
// the certificate from SigningCertURL, rebuild the string to sign from
// the message's own fields, and verify SHA1withRSA or SHA256withRSA.
func verifySignature(msg map[string]string) error {
	resp, err := http.Get(msg["SigningCertURL"])
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	pemBytes, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return fmt.Errorf("no certificate at %s (status %d)", msg["SigningCertURL"], resp.StatusCode)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	var keys []string
	switch msg["Type"] {
	case "Notification":
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	default:
		return fmt.Errorf("unknown type %q", msg["Type"])
	}
	var b strings.Builder
	for _, k := range keys {
		v, ok := msg[k]
		if !ok {
			continue
		}
		b.WriteString(k + "\n" + v + "\n")
	}
	sig, err := base64.StdEncoding.DecodeString(msg["Signature"])
	if err != nil {
		return err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("certificate key is not RSA")
	}
	switch msg["SignatureVersion"] {
	case "1":
		h := sha1.Sum([]byte(b.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], sig)
	case "2":
		h := sha256.Sum256([]byte(b.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
	}
	return fmt.Errorf("unknown SignatureVersion %q", msg["SignatureVersion"])
}

// stringFields flattens the string fields of a JSON message.
func stringFields(t testing.TB, body []byte) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("message is not JSON: %v: %s", err, body)
	}
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// waitTopic polls the dashboard snapshot until cond holds for the named
// topic (a hang guard with a generous deadline, not a timing assertion).
func (e *env) waitTopic(t testing.TB, name string, cond func(TopicInfo) bool) TopicInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, ti := range e.svc.Topics() {
			if ti.Name == name && cond(ti) {
				return ti
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s never reached the expected state: %+v", name, e.svc.Topics())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
