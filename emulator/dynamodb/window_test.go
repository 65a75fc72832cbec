package dynamodb

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
)

func decodeWindowEvent(t *testing.T, req lambda.Request) events.DynamoDBTimeWindowEvent {
	t.Helper()
	var ev events.DynamoDBTimeWindowEvent
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		t.Fatalf("event does not decode into events.DynamoDBTimeWindowEvent: %v\n%s", err, req.Payload)
	}
	return ev
}

func TestStreamTriggerTumblingWindow(t *testing.T) {
	// The function counts records in its state, as an aggregation would.
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	inv.answer = func(n int, req lambda.Request) (lambda.Result, error) {
		var ev events.DynamoDBTimeWindowEvent
		_ = json.Unmarshal(req.Payload, &ev)
		count, _ := strconv.Atoi(ev.State["count"])
		resp := events.DynamoDBTimeWindowEventResponse{TimeWindowEventResponseProperties: events.TimeWindowEventResponseProperties{
			State: map[string]string{"count": strconv.Itoa(count + len(ev.Records))}}}
		b, _ := json.Marshal(resp)
		return lambda.Result{StatusCode: 200, Payload: b}, nil
	}
	e := newEnv(t, Options{Invoker: inv})
	e.createSimple(t, "win", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	const size = time.Second
	// Start just after a window boundary so the three writes share one.
	time.Sleep(time.Until(time.Now().Truncate(size).Add(size + 20*time.Millisecond)))
	for _, k := range []string{"a", "b", "c"} {
		e.mustRaw(t, "PutItem", `{"TableName":"win","Item":{"pk":{"S":"`+k+`"}}}`)
	}
	e.s.SetStreamTriggers([]*config.StreamTrigger{{Table: "win", Function: "fn", BatchSize: 2, StartingPosition: "TRIM_HORIZON",
		MaximumRetryAttempts: -1, Enabled: true, TumblingWindow: size}})
	calls := inv.wait(t, 3)
	st := e.s.currentStream("win")
	first := decodeWindowEvent(t, calls[0])
	second := decodeWindowEvent(t, calls[1])
	final := decodeWindowEvent(t, calls[2])
	if len(first.Records) != 2 || len(second.Records) != 1 || len(final.Records) != 0 {
		t.Fatalf("records per invocation %d %d %d, want 2 1 0", len(first.Records), len(second.Records), len(final.Records))
	}
	if len(first.State) != 0 || second.State["count"] != "2" || final.State["count"] != "3" {
		t.Errorf("states %v %v %v, want {} count 2, count 3", first.State, second.State, final.State)
	}
	if first.IsFinalInvokeForWindow || second.IsFinalInvokeForWindow || !final.IsFinalInvokeForWindow || final.IsWindowTerminatedEarly {
		t.Errorf("final flags %v %v %v", first.IsFinalInvokeForWindow, second.IsFinalInvokeForWindow, final.IsFinalInvokeForWindow)
	}
	w := first.Window
	start, end := w.Start.Time, w.End.Time
	if end.Sub(start) != size || !start.Equal(start.Truncate(size)) || !final.Window.Start.Equal(start) ||
		first.ShardID != st.shardID || first.EventSourceARN != st.arn {
		t.Errorf("window %v..%v shard %q arn %q", start, end, first.ShardID, first.EventSourceARN)
	}
	if r := first.Records[0]; r.EventSourceArn != st.arn || r.Change.SequenceNumber == "" {
		t.Errorf("record %+v", r)
	}
	// The final invocation came once the window was over.
	if time.Now().Before(end) {
		t.Errorf("final invocation before the window ended at %v", end)
	}

	// A later record opens a new window with a fresh state.
	e.mustRaw(t, "PutItem", `{"TableName":"win","Item":{"pk":{"S":"d"}}}`)
	calls = inv.wait(t, 4)
	next := decodeWindowEvent(t, calls[3])
	if len(next.Records) != 1 || len(next.State) != 0 || !next.Window.Start.After(start) {
		t.Errorf("next window %v state %v records %d", next.Window, next.State, len(next.Records))
	}
	e.s.SetStreamTriggers(nil)
}

func TestWindowState(t *testing.T) {
	w := &window{state: json.RawMessage("{}")}
	for _, tc := range []struct{ payload, want string }{
		{`{"state":{"n":"1"}}`, ""},
		{`{"state":{"n":1},"batchItemFailures":[]}`, ""},
		{`null`, "tumbling window: the function's response has no state object"},
		{`{"batchItemFailures":[]}`, "tumbling window: the function's response has no state object"},
		{`{"state":"x"}`, "tumbling window: the function's response has no state object"},
	} {
		if got := w.keepState([]byte(tc.payload)); got != tc.want {
			t.Errorf("keepState(%s) = %q, want %q", tc.payload, got, tc.want)
		}
	}
	if string(w.state) != `{"n":1}` || w.early {
		t.Errorf("state %s early %v", w.state, w.early)
	}
	big := `{"state":{"x":"` + string(bytesOf('a', maxWindowState)) + `"}}`
	if w.keepState([]byte(big)) != "" || !w.early {
		t.Error("a state past 1 MB must end the window early")
	}
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}
