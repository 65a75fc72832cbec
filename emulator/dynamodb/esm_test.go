package dynamodb

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns"
)

func TestStreamTriggerFilters(t *testing.T) {
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	e := newEnv(t, Options{Invoker: inv})
	e.createSimple(t, "flt", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}`)
	trig := &config.StreamTrigger{Table: "flt", Function: "fn", BatchSize: 100, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: -1, Enabled: true, Filters: []string{
			// New paid orders, by a prefix on a string attribute of the image.
			`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":[{"prefix":"paid"}]}}}}`,
			// Any removal of a key other than "keep" ($or of two rules).
			`{"$or":[{"eventName":["REMOVE"],"dynamodb":{"Keys":{"pk":{"S":[{"anything-but":["keep"]}]}}}},{"dynamodb":{"NewImage":{"flag":{"BOOL":[true]}}}}]}`,
		}}
	// Records written before the mapping, read from TRIM_HORIZON.
	for _, op := range []string{
		`PutItem|{"TableName":"flt","Item":{"pk":{"S":"a"},"status":{"S":"paid-card"}}}`, // INSERT paid: yes
		`PutItem|{"TableName":"flt","Item":{"pk":{"S":"b"},"status":{"S":"open"}}}`,      // INSERT open: no
		`PutItem|{"TableName":"flt","Item":{"pk":{"S":"a"},"status":{"S":"paid-cash"}}}`, // MODIFY: no
		`DeleteItem|{"TableName":"flt","Key":{"pk":{"S":"b"}}}`,                          // REMOVE b: yes
		`PutItem|{"TableName":"flt","Item":{"pk":{"S":"keep"}}}`,                         // INSERT, no status: no
		`DeleteItem|{"TableName":"flt","Key":{"pk":{"S":"keep"}}}`,                       // REMOVE keep: no
		`PutItem|{"TableName":"flt","Item":{"pk":{"S":"c"},"flag":{"BOOL":true}}}`,       // flag: yes
		`PutItem|{"TableName":"flt","Item":{"pk":{"S":"d"}}}`,                            // last, filtered out
	} {
		name, body, _ := strings.Cut(op, "|")
		e.mustRaw(t, name, body)
	}
	e.s.SetStreamTriggers([]*config.StreamTrigger{trig})
	calls := inv.wait(t, 1)
	ev := decodeEvent(t, calls[0])
	var got []string
	for _, r := range ev.Records {
		got = append(got, r.EventName+" "+r.Change.Keys["pk"].String())
	}
	if want := "INSERT a,REMOVE b,INSERT c"; strings.Join(got, ",") != want {
		t.Fatalf("delivered %v, want %s", got, want)
	}
	// The checkpoint passed the filtered-out records too, up to the last.
	_, recs := e.s.currentStream("flt").retained()
	last := recs[len(recs)-1].seq
	waitFor(t, func() bool { return e.checkpoint("flt", "fn") == last })

	// A batch that no filter matches invokes nothing and still advances.
	e.mustRaw(t, "PutItem", `{"TableName":"flt","Item":{"pk":{"S":"e"},"status":{"S":"open"}}}`)
	_, recs = e.s.currentStream("flt").retained()
	last = recs[len(recs)-1].seq
	waitFor(t, func() bool { return e.checkpoint("flt", "fn") == last })
	e.mustRaw(t, "PutItem", `{"TableName":"flt","Item":{"pk":{"S":"f"},"status":{"S":"paid"}}}`)
	calls = inv.wait(t, 2)
	if len(calls) != 2 {
		t.Fatalf("%d invocations, want 2", len(calls))
	}
	if ev := decodeEvent(t, calls[1]); len(ev.Records) != 1 || ev.Records[0].Change.Keys["pk"].String() != "f" {
		t.Fatalf("second batch %+v", ev.Records)
	}

	// Changing only the filters restarts the mapping from its checkpoint.
	changed := *trig
	changed.Filters = []string{`{"eventName":["MODIFY"]}`}
	e.s.SetStreamTriggers([]*config.StreamTrigger{&changed})
	e.mustRaw(t, "PutItem", `{"TableName":"flt","Item":{"pk":{"S":"g"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"flt","Item":{"pk":{"S":"g"},"v":{"N":"1"}}}`)
	calls = inv.wait(t, 3)
	if ev := decodeEvent(t, calls[2]); len(ev.Records) != 1 || ev.Records[0].EventName != "MODIFY" {
		t.Fatalf("after reload %+v", ev.Records)
	}
	e.s.SetStreamTriggers(nil)
}

// checkpoint reads a running mapping's checkpoint.
func (e *env) checkpoint(table, fn string) uint64 {
	e.s.esm.mu.Lock()
	mp := e.s.esm.running[table+"\x00"+fn]
	e.s.esm.mu.Unlock()
	if mp == nil {
		return 0
	}
	return mp.checkpoint().pos
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakePublisher records what would go to SNS.
type fakePublisher struct {
	mu   sync.Mutex
	msgs []published
	got  chan struct{}
}

type published struct{ topic, message, trace string }

func (p *fakePublisher) Publish(topic, message, trace string) (string, error) {
	p.mu.Lock()
	p.msgs = append(p.msgs, published{topic, message, trace})
	p.mu.Unlock()
	p.got <- struct{}{}
	return "id", nil
}

func (p *fakePublisher) wait(t *testing.T, n int) []published {
	t.Helper()
	for {
		p.mu.Lock()
		c := len(p.msgs)
		p.mu.Unlock()
		if c >= n {
			break
		}
		select {
		case <-p.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d publishes arrived", c, n)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]published(nil), p.msgs...)
}

// failureDoc is the on-failure record as a consumer decodes it.
type failureDoc struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext *struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	Version   string `json:"version"`
	Timestamp string `json:"timestamp"`
	Info      struct {
		ShardID                         string `json:"shardId"`
		StartSequenceNumber             string `json:"startSequenceNumber"`
		EndSequenceNumber               string `json:"endSequenceNumber"`
		ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
		BatchSize                       int    `json:"batchSize"`
		StreamArn                       string `json:"streamArn"`
	} `json:"DDBStreamBatchInfo"`
}

func decodeFailure(t *testing.T, msg string) failureDoc {
	t.Helper()
	var d failureDoc
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("failure record %s: %v", msg, err)
	}
	if d.Version != "1.0" {
		t.Errorf("version %q", d.Version)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", d.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", d.Timestamp, err)
	}
	for _, ts := range []string{d.Info.ApproximateArrivalOfFirstRecord, d.Info.ApproximateArrivalOfLastRecord} {
		if _, err := time.Parse("2006-01-02T15:04:05Z", ts); err != nil {
			t.Errorf("arrival %q: %v", ts, err)
		}
	}
	return d
}

func TestStreamTriggerRetriesExhaustedToSNS(t *testing.T) {
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	var failSeq string
	inv.answer = func(n int, req lambda.Request) (lambda.Result, error) {
		ev := decodeEvent(t, req)
		if n == 1 {
			failSeq = ev.Records[1].Change.SequenceNumber
			return lambda.Result{StatusCode: 200, RequestID: "req-1", ExecutedVersion: "$LATEST",
				Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"` + failSeq + `"}]}`)}, nil
		}
		return lambda.Result{StatusCode: 200, RequestID: "req-2", ExecutedVersion: "$LATEST", FunctionError: "Unhandled",
			Payload: []byte(`{"errorMessage":"boom"}`)}, nil
	}
	pub := &fakePublisher{got: make(chan struct{}, 10)}
	e := newEnv(t, Options{Invoker: inv, Publisher: pub})
	e.createSimple(t, "rex", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	for _, k := range []string{"a", "b", "c"} {
		e.mustRaw(t, "PutItem", `{"TableName":"rex","Item":{"pk":{"S":"`+k+`"}}}`)
	}
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "rex", Function: "fn", BatchSize: 10, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: 1, ReportBatchItemFailures: true, Enabled: true, OnFailureTopic: "failures"}})
	msgs := pub.wait(t, 1)
	if calls := inv.wait(t, 2); len(calls) != 2 {
		t.Fatalf("%d invocations, want 2 (1 retry)", len(calls))
	}
	if msgs[0].topic != "arn:aws:sns:us-east-1:000000000000:failures" {
		t.Errorf("topic %q", msgs[0].topic)
	}
	d := decodeFailure(t, msgs[0].message)
	_, recs := e.s.currentStream("rex").retained()
	st := e.s.currentStream("rex")
	if d.RequestContext.Condition != "RetryAttemptsExhausted" || d.RequestContext.ApproximateInvokeCount != 2 ||
		d.RequestContext.RequestID != "req-2" || d.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:fn" {
		t.Errorf("requestContext %+v", d.RequestContext)
	}
	if r := d.ResponseContext; r == nil || r.StatusCode != 200 || r.ExecutedVersion != "$LATEST" || r.FunctionError != "Unhandled" {
		t.Errorf("responseContext %+v", r)
	}
	// The partial response committed record a; b and c were discarded.
	if d.Info.BatchSize != 2 || d.Info.StartSequenceNumber != failSeq || d.Info.EndSequenceNumber != seqString(recs[2].seq) ||
		d.Info.ShardID != st.shardID || d.Info.StreamArn != st.arn {
		t.Errorf("DDBStreamBatchInfo %+v", d.Info)
	}
	// Processing goes on after the discarded batch.
	waitFor(t, func() bool { return e.checkpoint("rex", "fn") == recs[2].seq })
}

func TestStreamTriggerRecordAge(t *testing.T) {
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	var failing atomic.Bool
	inv.answer = func(n int, req lambda.Request) (lambda.Result, error) {
		if failing.Load() {
			return lambda.Result{StatusCode: 200, RequestID: "req-x", FunctionError: "Unhandled", Payload: []byte(`{}`)}, nil
		}
		return lambda.Result{StatusCode: 200, Payload: []byte("null")}, nil
	}
	pub := &fakePublisher{got: make(chan struct{}, 10)}
	e := newEnv(t, Options{Invoker: inv, Publisher: pub})
	e.createSimple(t, "age", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	e.mustRaw(t, "PutItem", `{"TableName":"age","Item":{"pk":{"S":"old1"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"age","Item":{"pk":{"S":"old2"}}}`)
	// The loaders allow 60s at least; the service takes any age, so the
	// test need not wait a minute.
	const maxAge = 300 * time.Millisecond
	time.Sleep(maxAge + 100*time.Millisecond)
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "age", Function: "fn", BatchSize: 10, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: -1, Enabled: true, MaximumRecordAge: maxAge, OnFailureTopic: "failures"}})
	msgs := pub.wait(t, 1)
	d := decodeFailure(t, msgs[0].message)
	if d.RequestContext.Condition != "RecordAgeExceeded" || d.RequestContext.ApproximateInvokeCount != 0 || d.ResponseContext != nil ||
		d.Info.BatchSize != 2 || d.RequestContext.RequestID == "" {
		t.Errorf("record %s", msgs[0].message)
	}
	// Old records were never invoked; a fresh one is.
	e.mustRaw(t, "PutItem", `{"TableName":"age","Item":{"pk":{"S":"new"}}}`)
	calls := inv.wait(t, 1)
	if ev := decodeEvent(t, calls[0]); len(calls) != 1 || len(ev.Records) != 1 || ev.Records[0].Change.Keys["pk"].String() != "new" {
		t.Fatalf("invocations %d, first batch %+v", len(calls), ev.Records)
	}

	// A batch that keeps failing (infinite retries) is discarded once its
	// records pass the age, with the last invocation's response.
	failing.Store(true)
	e.mustRaw(t, "PutItem", `{"TableName":"age","Item":{"pk":{"S":"bad"}}}`)
	msgs = pub.wait(t, 2)
	d = decodeFailure(t, msgs[1].message)
	if d.RequestContext.Condition != "RecordAgeExceeded" || d.RequestContext.ApproximateInvokeCount < 1 ||
		d.ResponseContext == nil || d.ResponseContext.FunctionError != "Unhandled" || d.Info.BatchSize != 1 {
		t.Errorf("record %s", msgs[1].message)
	}
	e.s.SetStreamTriggers(nil)
}

// TestStreamFailureThroughSNS sends the failure record through a real SNS
// service to a Lambda subscriber, as slsx wires them.
func TestStreamFailureThroughSNS(t *testing.T) {
	snsInv := &fakeInvoker{got: make(chan struct{}, 100)}
	topics, err := sns.New(sns.Options{Invoker: snsInv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { topics.Close() })
	arn, err := topics.EnsureTopic(&config.Topic{Name: "ddb-failures"})
	if err != nil {
		t.Fatal(err)
	}
	if err := topics.SetProjectSubscriptions([]*config.Subscription{{Topic: "ddb-failures", Protocol: "lambda", Endpoint: "alarm"}}); err != nil {
		t.Fatal(err)
	}
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	inv.answer = func(n int, req lambda.Request) (lambda.Result, error) {
		return lambda.Result{StatusCode: 200, FunctionError: "Unhandled", Payload: []byte(`{}`)}, nil
	}
	e := newEnv(t, Options{Invoker: inv, Publisher: topics})
	e.createSimple(t, "viasns", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "viasns", Function: "fn", BatchSize: 10, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: 0, Enabled: true, OnFailureTopic: "ddb-failures"}})
	e.mustRaw(t, "PutItem", `{"TableName":"viasns","Item":{"pk":{"S":"x"}}}`)
	calls := snsInv.wait(t, 1)
	var ev events.SNSEvent
	if err := json.Unmarshal(calls[0].Payload, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("SNS event %s: %v", calls[0].Payload, err)
	}
	if calls[0].Function != "alarm" || ev.Records[0].SNS.TopicArn != arn {
		t.Errorf("delivered to %s from %s", calls[0].Function, ev.Records[0].SNS.TopicArn)
	}
	d := decodeFailure(t, ev.Records[0].SNS.Message)
	if d.RequestContext.Condition != "RetryAttemptsExhausted" || d.RequestContext.ApproximateInvokeCount != 1 || d.Info.BatchSize != 1 {
		t.Errorf("record %s", ev.Records[0].SNS.Message)
	}
}

func TestExpired(t *testing.T) {
	now := time.Now()
	recs := []*streamRec{{at: now.Add(-25 * time.Hour)}, {at: now.Add(-2 * time.Minute)}, {at: now.Add(-30 * time.Second)}, {at: now}}
	for _, tc := range []struct {
		maxAge time.Duration
		want   int
	}{
		{0, 1}, // no limit set: only what passed the 24 h retention
		{time.Hour, 1},
		{time.Minute, 2},
		{10 * time.Second, 3},
		{48 * time.Hour, 0},
	} {
		if got := expired(recs, tc.maxAge, now); got != tc.want {
			t.Errorf("expired(maxAge %v) = %d, want %d", tc.maxAge, got, tc.want)
		}
	}
}

// TestFilterTTLDeletes uses the pattern the DynamoDB guide gives for
// processing only TTL deletes: it reads the userIdentity a TTL delete
// carries in the Lambda event.
func TestFilterTTLDeletes(t *testing.T) {
	recs := []*streamRec{
		{seq: 1, body: []byte(`{"awsRegion":"us-east-1","dynamodb":{"Keys":{"pk":{"S":"a"}},"SequenceNumber":"000000000000000000001","SizeBytes":3,"StreamViewType":"KEYS_ONLY"},"eventID":"x","eventName":"REMOVE","eventSource":"aws:dynamodb","eventVersion":"1.1"`), ttl: true},
		{seq: 2, body: []byte(`{"awsRegion":"us-east-1","dynamodb":{"Keys":{"pk":{"S":"b"}},"SequenceNumber":"000000000000000000002","SizeBytes":3,"StreamViewType":"KEYS_ONLY"},"eventID":"y","eventName":"REMOVE","eventSource":"aws:dynamodb","eventVersion":"1.1"`)},
	}
	filters, err := parseFilters([]string{`{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}`})
	if err != nil {
		t.Fatal(err)
	}
	got := (&mapping{filters: filters}).match(recs, "arn:s")
	if len(got) != 1 || got[0].seq != 1 {
		t.Fatalf("matched %d records", len(got))
	}
	// Records a mapping is handed are never changed by filtering.
	if !strings.HasSuffix(string(recs[0].body), `"eventVersion":"1.1"`) {
		t.Error("record body modified")
	}
}
