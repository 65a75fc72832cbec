package tui

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/slsx/slsx/emulator/telemetry"
)

// treeText renders a trace's tree as "prefix label" lines without styles.
func treeText(t *trace) string {
	st := newStyles()
	var b strings.Builder
	for _, r := range t.tree() {
		b.WriteString(treePrefix(r) + ansi.Strip(spanLabel(st, r.span, true)) + "\n")
	}
	return b.String()
}

func traceOf(events []telemetry.Event, id string) *trace {
	s := newStore(Info{}, base)
	for _, e := range events {
		s.apply(e)
	}
	return s.traces.byID[id]
}

const lambdaARN = "arn:aws:lambda:us-east-1:000000000000:function:"

func TestTraceTree(t *testing.T) {
	sns := "arn:aws:sns:us-east-1:000000000000:events"
	tests := []struct {
		name   string
		events []telemetry.Event
		want   string
	}{
		{
			name:   "api to lambda to dynamodb to stream to lambda to sns to lambda",
			events: orderChain(0, "T", ""),
			want: `API POST /orders → 201
└─ λ orders ok cold
   └─ DynamoDB PutItem orders {"id":{"S":"o1"}}
      └─ stream orders → notify, 1 record
         └─ λ notify ok
            └─ SNS publish events msg msg
               └─ SNS deliver lambda email ✓
                  └─ λ email error
`,
		},
		{
			name: "fan-out to two subscribers, one failing over http",
			events: concat(
				invoke(0, 50, "orders", "invoke", "r1", "T", telemetry.StatusOK, false),
				[]telemetry.Event{
					telemetry.SNSPublished{At: at(10), Topic: sns, MessageID: "m1", TraceID: "T"},
					telemetry.SNSDelivered{At: at(11), Topic: sns, Protocol: "lambda", Endpoint: lambdaARN + "email", MessageID: "m1", TraceID: "T", Attempt: 1},
					telemetry.SNSDelivered{At: at(12), Topic: sns, Protocol: "https", Endpoint: "https://hooks.example/x", MessageID: "m1", TraceID: "T", Attempt: 2, Err: "HTTP 500"},
				},
				invoke(13, 5, "email", "sns:events", "r2", "T", telemetry.StatusOK, false),
			),
			want: `λ orders ok
└─ SNS publish events msg m1
   ├─ SNS deliver lambda email ✓
   │  └─ λ email ok
   └─ SNS deliver https https://hooks.example/x attempt 2 ✗ HTTP 500
`,
		},
		{
			name: "direct invoke from a handler nests in the caller; writes outside any invocation are roots",
			events: concat(
				[]telemetry.Event{telemetry.DynamoWrite{At: at(0), Table: "users", Op: "PutItem", TraceID: "T"}},
				invoke(10, 100, "orders", "invoke", "r1", "T", telemetry.StatusOK, false),
				invoke(20, 30, "report", "invoke", "r2", "T", telemetry.StatusTimeout, false),
				[]telemetry.Event{telemetry.DynamoWrite{At: at(60), Table: "users", Op: "UpdateItem", TraceID: "T"}},
			),
			want: `DynamoDB PutItem users
λ orders ok
├─ λ report timeout
└─ DynamoDB UpdateItem users
`,
		},
		{
			name: "a finish without its start still places the invocation",
			events: []telemetry.Event{
				telemetry.HTTPRequest{At: at(30), Method: "GET", Path: "/u/1", RouteKey: "GET /u/{id}", Function: "users", Status: 502, Duration: 30 * time.Millisecond, TraceID: "T"},
				telemetry.InvocationFinished{At: at(29), Function: "users", RequestID: "r1", TraceID: "T", Trigger: "GET /u/{id}",
					Status: telemetry.StatusCrash, ErrorType: "Runtime.ExitError", Duration: 25 * time.Millisecond},
			},
			want: `API GET /u/1 → 502  route GET /u/{id}
└─ λ users crash Runtime.ExitError
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := traceOf(tt.events, "T")
			if tr == nil {
				t.Fatal("no trace")
			}
			if got := treeText(tr); got != tt.want {
				t.Errorf("tree:\n%s\nwant:\n%s", got, tt.want)
			}
			// The bus does not promise order across publishers: any arrival
			// order builds the same tree.
			rng := rand.New(rand.NewPCG(1, 1))
			for i := 0; i < 20; i++ {
				ev := append([]telemetry.Event(nil), tt.events...)
				rng.Shuffle(len(ev), func(a, b int) { ev[a], ev[b] = ev[b], ev[a] })
				if got := treeText(traceOf(ev, "T")); got != tt.want {
					t.Fatalf("shuffled %d: tree:\n%s\nwant:\n%s", i, got, tt.want)
				}
			}
		})
	}
}

func concat(parts ...[]telemetry.Event) []telemetry.Event {
	var out []telemetry.Event
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestTraceScreen(t *testing.T) {
	hs := newHarness(t, testInfo(), 140, 30)
	hs.feed(orderChain(0, "trace-A", "a")...)
	hs.feed(invoke(500, 5, "orders", "invoke", "solo", "trace-B", telemetry.StatusOK, false)...)
	hs.keys("3")
	// newest first; the chain's path and error count are summarised.
	body := hs.body()
	if strings.Index(body, "λ orders invoke") > strings.Index(body, "API POST /orders") {
		t.Errorf("traces not newest first:\n%s", body)
	}
	l := hs.lineWith("API POST /orders → 201")
	for _, w := range []string{"API › λ orders › DDB › stream › λ notify › SNS › λ email", " 8 ", "81ms", " 1"} {
		if !strings.Contains(l, w) {
			t.Errorf("trace row %q lacks %q", l, w)
		}
	}

	hs.keys("down", "enter")
	hs.mustShow("Trace trace-A", "81ms total · 8 spans · 3 functions · 1 failed", "TIMELINE")
	// Timings: offsets from the first event, durations for invocations.
	if l := hs.lineWith("λ notify"); !strings.Contains(l, "+51ms") || !strings.Contains(l, "30ms") || !strings.Contains(l, "█") {
		t.Errorf("notify row %q: want +51ms, took 30ms and a bar", l)
	}
	if l := hs.lineWith("DynamoDB PutItem"); !strings.Contains(l, "+20ms") || !strings.Contains(l, "|") {
		t.Errorf("write row %q: want +20ms and a tick", l)
	}
	// Enter on an invocation opens its detail; Esc comes back to the tree.
	hs.keys("G", "enter")
	if hs.m.active != 1 {
		t.Fatalf("enter on λ email opened screen %d", hs.m.active+1)
	}
	hs.mustShow("Invocation req-emaila", "email  sns:events  error")
	hs.keys("esc")
	hs.mustShow("Trace trace-A")
	hs.keys("esc")
	hs.mustShow("STARTED BY")

	// From any invocation, t opens its trace.
	hs.keys("2", "enter", "t")
	hs.mustShow("Trace trace-B", "λ orders ok")
}

func TestTraceStoreCapsSpans(t *testing.T) {
	s := newStore(Info{}, base)
	for i := 0; i < maxSpans+50; i++ {
		s.apply(telemetry.DynamoWrite{At: at(i), Table: "t", Op: "PutItem", TraceID: "T"})
	}
	tr := s.traces.byID["T"]
	if len(tr.spans) != maxSpans || tr.omitted != 50 {
		t.Fatalf("kept %d spans, omitted %d", len(tr.spans), tr.omitted)
	}
}
