package dynamodb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/slsx/slsx/emulator/awsapi"
)

// env is one running service behind a real loopback HTTP server.
type env struct {
	s   *Service
	url string
	db  *dynamodb.Client
	st  *dynamodbstreams.Client
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&awsapi.Edge{DynamoDB: s.Handler(), Streams: s.StreamsHandler()})
	t.Cleanup(func() {
		srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &env{s: s, url: srv.URL, db: dbClient(srv.URL), st: streamsClient(srv.URL)}
}

func awsConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     clientRaceRetryer,
	}
}

// clientRaceRetryer retries nothing the server says, only a known race in
// the SDK's HTTP client (aws/aws-sdk-go-v2#2737): it can close its own
// connection while reading a response longer than its 4 KB read buffer,
// which surfaces as "use of closed network connection" (net.ErrClosed).
// Every answer of the emulator is still seen as sent.
func clientRaceRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if errors.Is(err, net.ErrClosed) {
				return aws.TrueTernary
			}
			return aws.FalseTernary
		})}
	})
}

func dbClient(url string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

func streamsClient(url string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(awsConfig(), func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(url) })
}

// raw posts a JSON body to an operation and returns status and decoded body.
func (e *env) raw(t testing.TB, op, body string) (int, map[string]any) {
	t.Helper()
	prefix := targetDynamo
	switch op {
	case "ListStreams", "DescribeStream", "GetShardIterator", "GetRecords":
		prefix = targetStreams
	}
	req, _ := http.NewRequest("POST", e.url, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", prefix+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: response is not JSON: %q", op, b)
		}
	}
	return resp.StatusCode, out
}

// mustRaw is raw that fails the test on a non-200 answer.
func (e *env) mustRaw(t testing.TB, op, body string) map[string]any {
	t.Helper()
	st, out := e.raw(t, op, body)
	if st != 200 {
		t.Fatalf("%s %s: status %d: %v", op, body, st, out)
	}
	return out
}

// errorCase is one request expected to fail with a given type and message.
type errorCase struct {
	name, op, body string
	typ, msg       string
}

func runErrorCases(t *testing.T, e *env, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, out := e.raw(t, tc.op, tc.body)
			if st != 400 {
				t.Fatalf("status %d, want 400: %v", st, out)
			}
			if out["__type"] != tc.typ {
				t.Errorf("__type = %v, want %s (message %v)", out["__type"], tc.typ, out["message"])
			}
			msg := out["message"]
			if msg == nil {
				msg = out["Message"]
			}
			if suffix, ok := strings.CutPrefix(tc.msg, "~"); ok {
				if m, _ := msg.(string); !strings.HasSuffix(m, suffix) {
					t.Errorf("message = %q\n                want suffix %q", msg, suffix)
				}
			} else if msg != tc.msg {
				t.Errorf("message = %q\n                want %q", msg, tc.msg)
			}
		})
	}
}

const (
	tValidation = "com.amazon.coral.validate#ValidationException"
	tNotFound   = "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
	tInUse      = "com.amazonaws.dynamodb.v20120810#ResourceInUseException"
	tCCF        = "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
	tTxCanceled = "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
)

var ctx = context.Background()

// createSimple creates table name with pk (S) [+ sk (N)] and PAY_PER_REQUEST.
func (e *env) createSimple(t testing.TB, name string, withSort bool, extra string) {
	t.Helper()
	defs := `[{"AttributeName":"pk","AttributeType":"S"}`
	ks := `[{"AttributeName":"pk","KeyType":"HASH"}`
	if withSort {
		defs += `,{"AttributeName":"sk","AttributeType":"N"}`
		ks += `,{"AttributeName":"sk","KeyType":"RANGE"}`
	}
	body := `{"TableName":"` + name + `","AttributeDefinitions":` + defs + `],"KeySchema":` + ks + `],"BillingMode":"PAY_PER_REQUEST"` + extra + `}`
	e.mustRaw(t, "CreateTable", body)
}
