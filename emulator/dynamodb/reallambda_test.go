package dynamodb

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
	"github.com/slsx/slsx/emulator/sns"
)

// buildStreamFn builds testdata/handlers/streamfn as a bootstrap in a
// temporary artifact directory.
func buildStreamFn(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, "bootstrap"), "./testdata/handlers/streamfn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build streamfn: %v\n%s", err, out)
	}
	return dir
}

// recorder is an Invoker that passes calls to a real Lambda service and
// keeps each request and result.
type recorder struct {
	next  lambda.Invoker
	mu    sync.Mutex
	calls []recorded
}

type recorded struct {
	req lambda.Request
	res lambda.Result
}

func (r *recorder) Invoke(ctx context.Context, req lambda.Request) (lambda.Result, error) {
	res, err := r.next.Invoke(ctx, req)
	r.mu.Lock()
	r.calls = append(r.calls, recorded{req, res})
	r.mu.Unlock()
	return res, err
}

func (r *recorder) snapshot() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.calls...)
}

// TestStreamTriggerRealLambda runs a real aws-lambda-go handler behind
// the mapping: filters choose what it sees, its partial batch response is
// honoured, and the batch it keeps failing goes to an SNS topic.
func TestStreamTriggerRealLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda handler")
	}
	artifact := buildStreamFn(t)
	h := lambdatest.New(t, lambdatest.Target{Name: "process", HandlerDir: func(string) string { return artifact }}, lambda.Options{})
	h.Deploy("streamfn", "streamfn", 1, nil)
	rec := &recorder{next: h.S}

	snsInv := &fakeInvoker{got: make(chan struct{}, 10)}
	topics, err := sns.New(sns.Options{Invoker: snsInv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { topics.Close() })
	if _, err := topics.EnsureTopic(&config.Topic{Name: "stream-failures"}); err != nil {
		t.Fatal(err)
	}
	if err := topics.SetProjectSubscriptions([]*config.Subscription{{Topic: "stream-failures", Protocol: "lambda", Endpoint: "alarm"}}); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t, Options{Invoker: rec, Publisher: topics})
	e.createSimple(t, "real", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}`)
	for _, item := range []string{
		`{"pk":{"S":"skip-1"}}`,                    // filtered out
		`{"pk":{"S":"ok-1"}}`,                      // delivered, succeeds
		`{"pk":{"S":"ok-2"},"fail":{"BOOL":true}}`, // reported failed every time
		`{"pk":{"S":"skip-2"},"fail":{"BOOL":true}}`,
		`{"pk":{"S":"ok-3"}}`, // after the failure: retried with it, then discarded
	} {
		e.mustRaw(t, "PutItem", `{"TableName":"real","Item":`+item+`}`)
	}
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "real", Function: "streamfn", BatchSize: 10, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: 1, ReportBatchItemFailures: true, Enabled: true, OnFailureTopic: "stream-failures",
		Filters: []string{`{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"ok-"}]}}}}`}}})

	calls := snsInv.wait(t, 1)
	var snsEv events.SNSEvent
	if err := json.Unmarshal(calls[0].Payload, &snsEv); err != nil || len(snsEv.Records) != 1 {
		t.Fatalf("SNS event %s: %v", calls[0].Payload, err)
	}
	d := decodeFailure(t, snsEv.Records[0].SNS.Message)

	invoked := rec.snapshot()
	if len(invoked) != 2 {
		t.Fatalf("%d invocations, want 2 (1 retry)", len(invoked))
	}
	var keys [][]string
	for _, c := range invoked {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(c.req.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, r := range ev.Records {
			ks = append(ks, r.Change.Keys["pk"].String())
		}
		keys = append(keys, ks)
	}
	if len(keys[0]) != 3 || keys[0][0] != "ok-1" || keys[0][1] != "ok-2" || keys[0][2] != "ok-3" ||
		len(keys[1]) != 2 || keys[1][0] != "ok-2" || keys[1][1] != "ok-3" {
		t.Fatalf("batches %v; want [ok-1 ok-2 ok-3] then [ok-2 ok-3]", keys)
	}
	_, recs := e.s.currentStream("real").retained()
	if d.RequestContext.Condition != "RetryAttemptsExhausted" || d.RequestContext.ApproximateInvokeCount != 2 ||
		d.RequestContext.RequestID != invoked[1].res.RequestID || d.ResponseContext == nil || d.ResponseContext.FunctionError != "" ||
		d.ResponseContext.StatusCode != 200 || d.ResponseContext.ExecutedVersion != "$LATEST" {
		t.Errorf("failure record %s", snsEv.Records[0].SNS.Message)
	}
	// ok-2 .. ok-3 were discarded: the records from the failure on,
	// skip-2 between them included in the range.
	if d.Info.BatchSize != 2 || d.Info.StartSequenceNumber != seqString(recs[2].seq) || d.Info.EndSequenceNumber != seqString(recs[4].seq) {
		t.Errorf("DDBStreamBatchInfo %+v", d.Info)
	}
	waitFor(t, func() bool { return e.checkpoint("real", "streamfn") == recs[4].seq })

	// The mapping goes on: a crash is a function error, retried once,
	// then discarded with functionError Unhandled.
	e.mustRaw(t, "PutItem", `{"TableName":"real","Item":{"pk":{"S":"ok-4"},"crash":{"BOOL":true}}}`)
	calls = snsInv.wait(t, 2)
	if err := json.Unmarshal(calls[1].Payload, &snsEv); err != nil {
		t.Fatal(err)
	}
	d = decodeFailure(t, snsEv.Records[0].SNS.Message)
	if d.ResponseContext == nil || d.ResponseContext.FunctionError != "Unhandled" || d.Info.BatchSize != 1 {
		t.Errorf("failure record %s", snsEv.Records[0].SNS.Message)
	}
}
