package dynamodb

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

func TestStreamRecords(t *testing.T) {
	for _, view := range []string{"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"} {
		t.Run(view, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.createSimple(t, "st1", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"`+view+`"}`)
			e.mustRaw(t, "PutItem", `{"TableName":"st1","Item":{"pk":{"S":"a"},"v":{"N":"1"}}}`)
			e.mustRaw(t, "PutItem", `{"TableName":"st1","Item":{"pk":{"S":"a"},"v":{"N":"1.0"}}}`) // no change: no record
			e.mustRaw(t, "UpdateItem", `{"TableName":"st1","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"2"}}}`)
			e.mustRaw(t, "DeleteItem", `{"TableName":"st1","Key":{"pk":{"S":"a"}}}`)
			e.mustRaw(t, "DeleteItem", `{"TableName":"st1","Key":{"pk":{"S":"a"}}}`) // missing: no record
			e.mustRaw(t, "PutItem", `{"TableName":"st1","Item":{"pk":{"S":"b"}},"ConditionExpression":"attribute_exists(pk)"}`[:0]+`{"TableName":"st1","Item":{"pk":{"S":"b"}}}`)

			ls, err := e.st.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("st1")})
			if err != nil || len(ls.Streams) != 1 {
				t.Fatalf("ListStreams %+v %v", ls, err)
			}
			arn := ls.Streams[0].StreamArn
			ds, err := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
			if err != nil || ds.StreamDescription.StreamStatus != stypes.StreamStatusEnabled || len(ds.StreamDescription.Shards) != 1 ||
				string(ds.StreamDescription.StreamViewType) != view {
				t.Fatalf("DescribeStream %+v %v", ds, err)
			}
			shard := ds.StreamDescription.Shards[0].ShardId
			it, err := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			gr, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range gr.Records {
				names = append(names, string(r.EventName))
				d := r.Dynamodb
				if d.Keys["pk"] == nil || d.SequenceNumber == nil || len(*d.SequenceNumber) < 21 || *d.SizeBytes < 1 || string(d.StreamViewType) != view {
					t.Errorf("record %+v", d)
				}
				hasNew, hasOld := d.NewImage != nil, d.OldImage != nil
				wantNew := (view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES") && r.EventName != stypes.OperationTypeRemove
				wantOld := (view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES") && r.EventName != stypes.OperationTypeInsert
				if hasNew != wantNew || hasOld != wantOld {
					t.Errorf("%s record: new %v old %v", r.EventName, hasNew, hasOld)
				}
			}
			if strings.Join(names, ",") != "INSERT,MODIFY,REMOVE,INSERT" {
				t.Fatalf("records %v", names)
			}
			// LATEST sees only new records; AFTER_SEQUENCE_NUMBER skips one.
			latest, _ := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeLatest})
			after, _ := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard,
				ShardIteratorType: stypes.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: gr.Records[2].Dynamodb.SequenceNumber})
			at, _ := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard,
				ShardIteratorType: stypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: gr.Records[2].Dynamodb.SequenceNumber})
			e.mustRaw(t, "PutItem", `{"TableName":"st1","Item":{"pk":{"S":"c"}}}`)
			for _, tc := range []struct {
				it   *string
				want int
			}{{latest.ShardIterator, 1}, {after.ShardIterator, 2}, {at.ShardIterator, 3}, {gr.NextShardIterator, 1}} {
				r, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: tc.it})
				if err != nil || len(r.Records) != tc.want || r.NextShardIterator == nil {
					t.Errorf("GetRecords: %d records, want %d (%v)", len(r.Records), tc.want, err)
				}
			}
		})
	}
	e := newEnv(t, Options{})
	runErrorCases(t, e, []errorCase{
		{"unknown stream", "DescribeStream", `{"StreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/2024-01-01T00:00:00.000"}`, tNotFound,
			"Requested resource not found: Stream: arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/2024-01-01T00:00:00.000 not found"},
		{"iterator type", "GetShardIterator", `{"StreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/2024-01-01T00:00:00.000","ShardId":"shardId-00000000000000000000-00000000","ShardIteratorType":"OLDEST"}`, tValidation,
			"1 validation error detected: Value 'OLDEST' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]"},
	})
}

// fakeInvoker records invocations and answers from a script.
type fakeInvoker struct {
	mu     sync.Mutex
	calls  []lambda.Request
	answer func(n int, req lambda.Request) (lambda.Result, error)
	got    chan struct{}
}

func (f *fakeInvoker) Invoke(ctx context.Context, req lambda.Request) (lambda.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	n := len(f.calls)
	f.mu.Unlock()
	defer func() { f.got <- struct{}{} }()
	if f.answer != nil {
		return f.answer(n, req)
	}
	return lambda.Result{StatusCode: 200, Payload: []byte("null")}, nil
}

func (f *fakeInvoker) wait(t *testing.T, n int) []lambda.Request {
	t.Helper()
	for {
		f.mu.Lock()
		c := len(f.calls)
		f.mu.Unlock()
		if c >= n {
			break
		}
		select {
		case <-f.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d invocations arrived", c, n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lambda.Request(nil), f.calls...)
}

func decodeEvent(t *testing.T, req lambda.Request) events.DynamoDBEvent {
	t.Helper()
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		t.Fatalf("event does not decode into events.DynamoDBEvent: %v\n%s", err, req.Payload)
	}
	return ev
}

func TestStreamTrigger(t *testing.T) {
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	bus := telemetry.New()
	sub := bus.Subscribe(t.Context())
	e := newEnv(t, Options{Invoker: inv, Bus: bus})
	e.createSimple(t, "trg", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}`)
	e.mustRaw(t, "PutItem", `{"TableName":"trg","Item":{"pk":{"S":"before"}}}`) // before the mapping: TRIM_HORIZON sees it
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "trg", Function: "fn", BatchSize: 2, BatchingWindow: 3 * time.Second, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: -1, Enabled: true}})
	_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("trg"), Item: map[string]types.AttributeValue{"pk": sv("a"), "n": nv("1")}},
		func(o *dynamodb.Options) {
			o.APIOptions = append(o.APIOptions, addHeader("X-Amzn-Trace-Id", "Root=1-abc-def"))
		})
	if err != nil {
		t.Fatal(err)
	}
	calls := inv.wait(t, 1)
	ev := decodeEvent(t, calls[0])
	if len(ev.Records) != 2 {
		t.Fatalf("batch of %d records, want 2", len(ev.Records))
	}
	r := ev.Records[1]
	if r.EventName != "INSERT" || r.EventVersion != "1.1" || r.EventSource != "aws:dynamodb" || r.AWSRegion != "us-east-1" ||
		!strings.Contains(r.EventSourceArn, ":table/trg/stream/") || r.Change.SequenceNumber == "" || r.Change.SizeBytes < 1 ||
		r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" || r.Change.ApproximateCreationDateTime.IsZero() ||
		r.Change.NewImage["n"].Number() != "1" || r.EventID == "" {
		t.Fatalf("record %+v", r)
	}
	if calls[0].Trigger != "ddb:trg" || calls[0].Type != lambda.RequestResponse || calls[0].TraceID != "Root=1-abc-def" {
		t.Errorf("request %+v", calls[0])
	}
	// Telemetry: a DynamoWrite with the trace id and a StreamBatch.
	var sawWrite, sawBatch bool
	deadline := time.After(5 * time.Second)
	for !(sawWrite && sawBatch) {
		select {
		case ev := <-sub:
			switch x := ev.(type) {
			case telemetry.DynamoWrite:
				sawWrite = sawWrite || (x.TraceID == "Root=1-abc-def" && x.Table == "trg" && x.Op == "PutItem")
			case telemetry.StreamBatch:
				sawBatch = sawBatch || (x.Function == "fn" && x.Records == 2)
			}
		case <-deadline:
			t.Fatalf("telemetry write %v batch %v", sawWrite, sawBatch)
		}
	}
}

func TestStreamTriggerFailures(t *testing.T) {
	// Partial batch failure: the function reports the 2nd record; the
	// retry starts there.
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	var failSeq string
	inv.answer = func(n int, req lambda.Request) (lambda.Result, error) {
		var ev events.DynamoDBEvent
		_ = json.Unmarshal(req.Payload, &ev)
		if n == 1 {
			failSeq = ev.Records[1].Change.SequenceNumber
			return lambda.Result{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"` + failSeq + `"}]}`)}, nil
		}
		if n == 2 {
			return lambda.Result{StatusCode: 200, Payload: []byte(`{"errorMessage":"boom"}`), FunctionError: "Unhandled"}, nil
		}
		return lambda.Result{StatusCode: 200, Payload: []byte(`{}`)}, nil
	}
	e := newEnv(t, Options{Invoker: inv})
	e.createSimple(t, "trf", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	for _, k := range []string{"a", "b", "c"} {
		e.mustRaw(t, "PutItem", `{"TableName":"trf","Item":{"pk":{"S":"`+k+`"}}}`)
	}
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "trf", Function: "fn", BatchSize: 10, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: 5, BisectBatchOnFunctionError: true, ReportBatchItemFailures: true, Enabled: true}})
	calls := inv.wait(t, 4)
	sizes := []int{}
	for _, c := range calls[:4] {
		sizes = append(sizes, len(decodeEvent(t, c).Records))
	}
	// 3 records, fail from #2 -> retry [b c] -> function error, bisect -> [b] then [c].
	if want := []int{3, 2, 1, 1}; !equalInts(sizes, want) {
		t.Fatalf("batch sizes %v, want %v", sizes, want)
	}
	if decodeEvent(t, calls[1]).Records[0].Change.SequenceNumber != failSeq {
		t.Error("retry did not start at the reported record")
	}
	// Replacing the triggers (hot reload) with none stops delivery.
	e.s.SetStreamTriggers(nil)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTTLSweep(t *testing.T) {
	e := newEnv(t, Options{TTLPeriod: time.Hour})
	e.createSimple(t, "ttl1", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"OLD_IMAGE"}`)
	e.mustRaw(t, "UpdateTimeToLive", `{"TableName":"ttl1","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}`)
	now := time.Now().Unix()
	items := map[string]string{
		"expired":     `{"N":"` + itoa(int(now-10)) + `"}`,
		"future":      `{"N":"` + itoa(int(now+3600)) + `"}`,
		"millis":      `{"N":"` + itoa(int(now*1000)) + `"}`,
		"ancient":     `{"N":"` + itoa(int(now-6*365*24*3600)) + `"}`,
		"string":      `{"S":"1"}`,
		"decimalpast": `{"N":"` + itoa(int(now-5)) + `.5"}`,
	}
	for k, v := range items {
		e.mustRaw(t, "PutItem", `{"TableName":"ttl1","Item":{"pk":{"S":"`+k+`"},"exp":`+v+`}}`)
	}
	if n := e.s.expireNow(time.Now()); n != 2 {
		t.Fatalf("expired %d items, want 2", n)
	}
	out, err := e.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("ttl1")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 4 {
		t.Fatalf("%d items left, want 4", out.Count)
	}
	ls, _ := e.st.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("ttl1")})
	ds, _ := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: ls.Streams[0].StreamArn})
	it, _ := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: ls.Streams[0].StreamArn, ShardId: ds.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	gr, _ := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	removes := 0
	for _, r := range gr.Records {
		if r.EventName == stypes.OperationTypeRemove {
			removes++
			if r.UserIdentity == nil || *r.UserIdentity.Type != "Service" || *r.UserIdentity.PrincipalId != "dynamodb.amazonaws.com" || r.Dynamodb.OldImage == nil {
				t.Errorf("TTL record %+v", r)
			}
		} else if r.UserIdentity != nil {
			t.Error("userIdentity on a user write")
		}
	}
	if removes != 2 {
		t.Errorf("%d REMOVE records, want 2", removes)
	}
}

// TestLambdaEventTTLIdentity checks the Lambda event spelling of a TTL
// delete's identity (aws-lambda-go's lower-case members) and the
// eventSourceARN every record carries.
func TestLambdaEventTTLIdentity(t *testing.T) {
	recs := []*streamRec{
		{body: []byte(`{"awsRegion":"us-east-1","dynamodb":{"Keys":{"pk":{"S":"a"}},"SequenceNumber":"000000000000000000001","SizeBytes":3,"StreamViewType":"KEYS_ONLY"},"eventID":"x","eventName":"REMOVE","eventSource":"aws:dynamodb","eventVersion":"1.1"`), ttl: true},
		{body: []byte(`{"awsRegion":"us-east-1","dynamodb":{"Keys":{"pk":{"S":"b"}},"SequenceNumber":"000000000000000000002","SizeBytes":3,"StreamViewType":"KEYS_ONLY"},"eventID":"y","eventName":"REMOVE","eventSource":"aws:dynamodb","eventVersion":"1.1"`)},
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(buildEvent(recs, "arn:s"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Records[0].UserIdentity == nil || ev.Records[0].UserIdentity.Type != "Service" || ev.Records[0].UserIdentity.PrincipalID != "dynamodb.amazonaws.com" {
		t.Errorf("TTL identity %+v", ev.Records[0].UserIdentity)
	}
	if ev.Records[1].UserIdentity != nil || ev.Records[1].EventSourceArn != "arn:s" {
		t.Errorf("second record %+v", ev.Records[1])
	}
}

func TestStreamDisable(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "sdis", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	e.mustRaw(t, "PutItem", `{"TableName":"sdis","Item":{"pk":{"S":"a"}}}`)
	d := e.mustRaw(t, "DescribeTable", `{"TableName":"sdis"}`)["Table"].(map[string]any)
	arn := d["LatestStreamArn"].(string)
	e.mustRaw(t, "UpdateTable", `{"TableName":"sdis","StreamSpecification":{"StreamEnabled":false}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"sdis","Item":{"pk":{"S":"b"}}}`) // not recorded
	ds, err := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil || ds.StreamDescription.StreamStatus != stypes.StreamStatusDisabled || ds.StreamDescription.Shards[0].SequenceNumberRange.EndingSequenceNumber == nil {
		t.Fatalf("disabled stream %+v %v", ds, err)
	}
	it, _ := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: ds.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	gr, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 1 || gr.NextShardIterator != nil {
		t.Fatalf("closed shard read: %d records, next %v, %v", len(gr.Records), gr.NextShardIterator, err)
	}
	// Re-enabling creates a new stream with a new ARN.
	st, out := e.raw(t, "UpdateTable", `{"TableName":"sdis","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}`)
	if st != 200 || out["TableDescription"].(map[string]any)["LatestStreamArn"] == arn {
		t.Fatalf("re-enable: %d %v", st, out)
	}
	runErrorCases(t, e, []errorCase{
		{"enable twice", "UpdateTable", `{"TableName":"sdis","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}`, tValidation,
			"Table already has an enabled stream: " + out["TableDescription"].(map[string]any)["LatestStreamArn"].(string)},
	})
}

// TestStreamTriggerReload replaces a trigger (hot reload) and checks the new
// mapping resumes after the old one's checkpoint, and that a disabled
// trigger delivers nothing.
func TestStreamTriggerReload(t *testing.T) {
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	e := newEnv(t, Options{Invoker: inv})
	e.createSimple(t, "rld", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	trig := &config.StreamTrigger{Table: "rld", Function: "fn", BatchSize: 10, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: -1, Enabled: true}
	e.s.SetStreamTriggers([]*config.StreamTrigger{trig})
	e.mustRaw(t, "PutItem", `{"TableName":"rld","Item":{"pk":{"S":"a"}}}`)
	inv.wait(t, 1)
	changed := *trig
	changed.BatchSize = 5
	e.s.SetStreamTriggers([]*config.StreamTrigger{&changed})
	e.mustRaw(t, "PutItem", `{"TableName":"rld","Item":{"pk":{"S":"b"}}}`)
	calls := inv.wait(t, 2)
	ev := decodeEvent(t, calls[1])
	if len(ev.Records) != 1 || ev.Records[0].Change.Keys["pk"].String() != "b" {
		t.Fatalf("after reload the mapping delivered %+v", ev.Records)
	}
	disabled := changed
	disabled.Enabled = false
	e.s.SetStreamTriggers([]*config.StreamTrigger{&disabled})
	e.mustRaw(t, "PutItem", `{"TableName":"rld","Item":{"pk":{"S":"c"}}}`)
	// Re-enabling resumes from the checkpoint: exactly c arrives next.
	e.s.SetStreamTriggers([]*config.StreamTrigger{&changed})
	calls = inv.wait(t, 3)
	ev = decodeEvent(t, calls[2])
	if len(ev.Records) != 1 || ev.Records[0].Change.Keys["pk"].String() != "c" {
		t.Fatalf("after re-enable the mapping delivered %+v", ev.Records)
	}
}
