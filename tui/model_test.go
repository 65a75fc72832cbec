package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slsx/slsx/emulator/telemetry"
)

func TestEveryScreenFitsTheTerminal(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {120, 40}, {220, 60}, {50, 12}, {30, 8}}
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			hs := newHarness(t, testInfo(), sz.w, sz.h)
			hs.feed(orderChain(0, "trace-1", "")...)
			hs.feed(telemetry.BuildStarted{At: at(100), Function: "orders", Generation: 2, Reason: "main.go"},
				telemetry.Log{At: at(101), Level: "ERROR", Message: strings.Repeat("long line ", 40)})
			for i := 0; i < 6; i++ {
				hs.keys(fmt.Sprint(i + 1))
				hs.screen() // checks height and width
				hs.keys("enter")
				hs.screen()
				hs.keys("esc")
			}
			hs.keys("?")
			hs.screen()
		})
	}
}

func TestHeader(t *testing.T) {
	hs := newHarness(t, testInfo(), 120, 30)
	hs.mustShow("slsx · shop", "● watching", "API http://127.0.0.1:3000", "AWS http://127.0.0.1:4566",
		"executor process", "inv 0  err 0  thr 0  cold 0  up 1m00s")

	tests := []struct {
		name  string
		event telemetry.Event
		want  string
	}{
		{"building", telemetry.BuildStarted{At: at(0), Function: "orders", Generation: 2}, "building orders"},
		{"failed", telemetry.BuildFinished{At: at(1), Function: "orders", Generation: 2, Err: "exit status 1"}, "✗ build failed: orders"},
		{"fixed", telemetry.BuildFinished{At: at(2), Function: "orders", Generation: 3}, "● watching"},
		{"config rejected", telemetry.ConfigReloaded{At: at(3), Err: "slsx.yaml: line 3: bad"}, "✗ config rejected"},
		{"config fixed", telemetry.ConfigReloaded{At: at(4)}, "● watching"},
	}
	for _, tt := range tests {
		hs.feed(tt.event)
		if l := hs.lineWith("slsx · shop"); !strings.Contains(l, tt.want) {
			t.Errorf("%s: header %q lacks %q", tt.name, l, tt.want)
		}
	}

	hs.feed(orderChain(0, "t", "")...)
	hs.feed(telemetry.Throttled{At: at(5), Function: "orders", RequestID: "thr-1", Trigger: "POST /orders", Limit: 4})
	hs.now = base.Add(time.Hour + 2*time.Minute + 3*time.Second)
	hs.mustShow("inv 3  err 1  thr 1  cold 1  up 1h02m03s")

	hs.send(EventsMsg{Dropped: 17})
	hs.mustShow("dropped 17")

	hs.send(InfoMsg{Project: "shop2", APIURLs: []string{"http://127.0.0.1:3001", "http://127.0.0.1:3002"}, Executor: "docker"})
	hs.mustShow("slsx · shop2", "API http://127.0.0.1:3001", "API http://127.0.0.1:3002", "executor docker")
}

func TestTabsAndQuit(t *testing.T) {
	hs := newHarness(t, testInfo(), 100, 30)
	titles := []string{"FUNCTION", "TRIGGER", "STARTED BY", "Topics", "WHAT", "no log lines yet"}
	for i, want := range titles {
		hs.keys(fmt.Sprint(i + 1))
		if !strings.Contains(hs.body(), want) {
			t.Errorf("screen %d lacks %q:\n%s", i+1, want, hs.body())
		}
	}
	hs.keys("1", "tab")
	if hs.m.active != 1 {
		t.Fatalf("tab from 1 went to %d", hs.m.active+1)
	}
	hs.keys("shift+tab", "shift+tab")
	if hs.m.active != 5 {
		t.Fatalf("shift+tab twice from 2 went to %d", hs.m.active+1)
	}
	hs.keys("?")
	hs.mustShow("Keys", "next screen", "filter")
	hs.keys("x")
	hs.mustNotShow("next screen")

	for _, k := range []string{"q", "ctrl+c"} {
		_, cmd := hs.m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s does not quit", k)
		}
	}
}

func TestFunctionsScreen(t *testing.T) {
	hs := newHarness(t, testInfo(), 140, 30)
	hs.feed(
		telemetry.BuildStarted{At: at(0), Function: "notify", Generation: 1, Reason: "initial"},
		telemetry.BuildFinished{At: at(500), Function: "orders", Generation: 1, Duration: 500 * time.Millisecond,
			Err: "exit status 1", Output: "# ./functions/orders\nfunctions/orders/main.go:12:2: undefined: foo\n"},
		telemetry.BuildFinished{At: at(600), Function: "email", Generation: 3, Duration: 100 * time.Millisecond},
		telemetry.PoolState{At: at(700), Function: "orders", Busy: 3, Idle: 1, Queued: 2, Limit: 4},
	)
	// orders: 100 invocations of 1..100 ms: p50 50ms, p99 99ms; 2 errors, 1 cold.
	var ev []telemetry.Event
	for i := 1; i <= 100; i++ {
		status := telemetry.StatusOK
		if i%50 == 0 {
			status = telemetry.StatusCrash
		}
		ev = append(ev, invoke(1000+i*200, i, "orders", "POST /orders", reqID(i), "", status, i == 1)...)
	}
	hs.feed(ev...)
	hs.feed(telemetry.Throttled{At: at(30000), Function: "orders", RequestID: "x", Trigger: "POST /orders", Limit: 4})

	row := strings.Fields(hs.lineWith("orders "))
	want := []string{"orders", "✗", "failed", "0", "3/1/4", "+2q", "100", "2", "1", "1", "50ms", "99ms"}
	if strings.Join(row[:len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("orders row = %v\nwant prefix %v", row, want)
	}
	if l := hs.lineWith("notify "); !strings.Contains(l, "building") {
		t.Errorf("notify row %q not building", l)
	}
	if l := hs.lineWith("email "); !strings.Contains(l, "● ready") || !strings.Contains(l, "  3 ") {
		t.Errorf("email row %q: want ready, generation 3", l)
	}

	// Concurrency sparkline: one sample a second, scaled to the limit.
	for _, busy := range []int{0, 1, 2, 4} {
		hs.feed(telemetry.PoolState{At: at(31000), Function: "orders", Busy: busy, Idle: 0, Limit: 4})
		hs.send(clockMsg(base))
	}
	if l := hs.lineWith("orders "); !strings.HasSuffix(strings.TrimRight(l, " "), "▂▄█") {
		t.Errorf("orders sparkline: %q, want it to end with ▂▄█ (3 busy peak then 1, 2, 4 of 4)", l)
	}

	// Details: the first row is email (sorted), move down twice to orders.
	hs.keys("down", "down", "enter")
	hs.mustShow("orders", "handler ./functions/orders · memory 256 MB · timeout 5s · concurrency 4",
		"Routes", "POST /orders", "Triggers", "(none)", "Environment", "MODE=dev", "TABLE=orders",
		"Last build", "exit status 1", "functions/orders/main.go:12:2: undefined: foo",
		"invocations 100 · errors 2 · throttles 1 · cold starts 1 · p50 50ms · p99 99ms")
	hs.keys("esc")
	hs.mustShow("BUSY/IDLE/MAX")
}

func TestFunctionsScreenNarrowDropsColumns(t *testing.T) {
	hs := newHarness(t, testInfo(), 80, 24)
	hs.mustShow("B/I/MAX", "CONCURRENCY")
	hs.mustNotShow("COLD", "GEN")
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		in       []time.Duration
		p50, p99 time.Duration
	}{
		{nil, 0, 0},
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(1, 2), time.Millisecond, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 5 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.in, 50); got != tt.p50 {
			t.Errorf("p50(%v) = %v, want %v", tt.in, got, tt.p50)
		}
		if got := percentile(tt.in, 99); got != tt.p99 {
			t.Errorf("p99(%v) = %v, want %v", tt.in, got, tt.p99)
		}
	}
}

func TestLatencyWindowForgetsOldInvocations(t *testing.T) {
	hs := newHarness(t, testInfo(), 140, 30)
	var ev []telemetry.Event
	for i := 0; i < 10; i++ { // ten slow ones six minutes before the fast one
		ev = append(ev, invoke(i, 900, "orders", "POST /orders", reqID(i), "", telemetry.StatusOK, false)...)
	}
	ev = append(ev, invoke(6*60*1000, 5, "orders", "POST /orders", "fast", "", telemetry.StatusOK, false)...)
	hs.feed(ev...)
	hs.now = base.Add(6*time.Minute + time.Second)
	hs.send(clockMsg(hs.now))
	row := strings.Fields(hs.lineWith("orders "))
	if !strings.Contains(strings.Join(row, " "), "5.0ms 5.0ms") {
		t.Errorf("orders row %v: want p50 and p99 of the last 5 minutes only (5.0ms)", row)
	}
}

func TestInvocationsListAndDetail(t *testing.T) {
	hs := newHarness(t, testInfo(), 140, 50)
	hs.feed(orderChain(0, "trace-1", "")...)
	hs.feed(telemetry.InvocationStarted{At: at(5000), Function: "orders", RequestID: "running-1", Trigger: "POST /orders"},
		telemetry.LogLine{At: at(5001), Function: "orders", RequestID: "running-1", Line: "still \x1b[31mworking"},
		telemetry.Throttled{At: at(5002), Function: "orders", RequestID: "thr-1", Trigger: "POST /orders", Limit: 4})
	hs.keys("2")
	body := hs.body()
	order := []string{"thr-1", "running-1", "req-email", "req-notify", "req-orders"}
	last := -1
	for _, id := range order {
		i := strings.Index(body, id)
		if i < 0 || i < last {
			t.Fatalf("list not newest first (%v):\n%s", order, body)
		}
		last = i
	}
	if l := hs.lineWith("thr-1"); !strings.Contains(l, "throttled") {
		t.Errorf("throttled row: %q", l)
	}
	if l := hs.lineWith("running-1"); !strings.Contains(l, "running") || !strings.Contains(l, "…") {
		t.Errorf("running row: %q", l)
	}
	if l := hs.lineWith("req-orders"); !strings.Contains(l, "POST /orders") || !strings.Contains(l, "ok") ||
		!strings.Contains(l, "40ms") || !strings.Contains(l, "cold") {
		t.Errorf("orders row: %q", l)
	}
	if l := hs.lineWith("req-email"); !strings.Contains(l, "error") || !strings.Contains(l, "warm") {
		t.Errorf("email row: %q", l)
	}

	// Open the orders invocation (the last row).
	hs.keys("G", "enter")
	hs.mustShow("Invocation req-orders", "orders  POST /orders  ok", "duration 40ms", "cold start",
		"trace trace-1", "REPORT",
		"RequestId: req-orders Duration: 40.00 ms Billed Duration: 41 ms Memory Size: 128 MB Max Memory Used: 42 MB",
		"Event", `"order": {`, `"id": "req-orders"`, "Response", `"statusCode": 201`,
		"Logs", "START RequestId: req-orders", "handling req-orders")
	hs.keys("esc")
	hs.mustShow("TRIGGER")

	// A running invocation shows the lines printed so far, escapes defused.
	hs.keys("g", "down", "enter")
	hs.mustShow("Invocation running-1", "still running", "still �[31mworking")
	hs.mustNotShow("Response")
}

func TestInvocationFilter(t *testing.T) {
	hs := newHarness(t, testInfo(), 140, 40)
	hs.feed(orderChain(0, "trace-1", "")...)
	hs.keys("2")
	tests := []struct {
		filter   string
		want     []string
		excluded []string
	}{
		{"fn:notify", []string{"req-notify"}, []string{"req-orders", "req-email"}},
		{"status:error", []string{"req-email"}, []string{"req-orders", "req-notify"}},
		{"status:cold", []string{"req-orders"}, []string{"req-notify", "req-email"}},
		{"ddb:", []string{"req-notify"}, []string{"req-orders", "req-email"}},
		{"POST email", nil, []string{"req-orders", "req-notify", "req-email"}},
		{"req-e", []string{"req-email"}, []string{"req-orders"}},
		{"", []string{"req-orders", "req-notify", "req-email"}, nil},
	}
	for _, tt := range tests {
		hs.keys("/")
		hs.send(tea.KeyMsg{Type: tea.KeyCtrlU})
		hs.typeText(tt.filter)
		hs.keys("enter")
		body := hs.body()
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("filter %q hides %s:\n%s", tt.filter, w, body)
			}
		}
		for _, x := range tt.excluded {
			if strings.Contains(body, x) {
				t.Errorf("filter %q shows %s:\n%s", tt.filter, x, body)
			}
		}
	}
	// While typing, q and digits are text, not commands.
	hs.keys("/")
	hs.typeText("q1")
	if hs.m.active != 1 {
		t.Fatal("typing 1 in the filter switched screens")
	}
	hs.mustShow("/q1█")
	hs.keys("esc") // esc while typing clears the filter
	hs.mustShow("3 shown of 3 kept")
}

func TestInvocationSelectionStaysPut(t *testing.T) {
	hs := newHarness(t, testInfo(), 120, 30)
	var ev []telemetry.Event
	for i := 0; i < 5; i++ {
		ev = append(ev, invoke(i*10, 1, "orders", "POST /orders", reqID(i), "", telemetry.StatusOK, false)...)
	}
	hs.feed(ev...)
	hs.keys("2", "down", "down") // req-00002 selected
	hs.feed(invoke(100, 1, "orders", "POST /orders", "newer", "", telemetry.StatusOK, false)...)
	hs.keys("enter")
	hs.mustShow("Invocation " + reqID(2))
	hs.keys("esc", "g") // back to the top follows the newest again
	hs.feed(invoke(200, 1, "orders", "POST /orders", "newest", "", telemetry.StatusOK, false)...)
	hs.keys("enter")
	hs.mustShow("Invocation newest")
}

func TestLogsScreen(t *testing.T) {
	hs := newHarness(t, testInfo(), 100, 12)
	hs.feed(telemetry.Log{At: at(0), Level: "INFO", Message: "API listening on http://127.0.0.1:3000"},
		telemetry.LogLine{At: at(1), Function: "notify", Line: "init: connected"},
		telemetry.EnvStopped{At: at(2), Function: "notify", EnvID: "env-9", Reason: "crash"})
	var ev []telemetry.Event
	for i := 0; i < 30; i++ {
		ev = append(ev, telemetry.Log{At: at(10 + i), Level: "DEBUG", Message: fmt.Sprintf("tick %02d", i)})
	}
	hs.feed(ev...)
	hs.keys("6")
	hs.mustShow("tick 29", "following")
	hs.mustNotShow("API listening")
	hs.keys("home")
	hs.mustShow("API listening", "notify init: connected", "environment env-9 stopped: crash", "scrolled back")
	hs.feed(telemetry.Log{At: at(99), Message: "late"})
	hs.mustNotShow("late")
	hs.keys("G")
	hs.mustShow("late", "following")
	hs.keys("/")
	hs.typeText("notify")
	hs.keys("enter")
	hs.mustShow("init: connected", "env-9")
	hs.mustNotShow("tick")
}

func TestResourcesScreenAndItemBrowser(t *testing.T) {
	src := &fakeSource{items: map[string][]string{"orders": {`{"id":{"S":"o1"},"total":{"N":"12"}}`, `{"id":{"S":"o2"}}`}}, count: 2}
	info := testInfo()
	info.Source = src
	info.Tables = []string{"orders", "users"}
	hs := newHarness(t, info, 120, 30)
	hs.feed(orderChain(0, "t1", "a")...)
	hs.feed(orderChain(100, "t2", "b")...)
	hs.feed(telemetry.SNSDelivered{At: at(300), Topic: "arn:aws:sns:us-east-1:000000000000:events", Subscription: "s2",
		Protocol: "https", Endpoint: "https://example.com/hook", Attempt: 3, Err: "503 Service Unavailable"},
		telemetry.DynamoWrite{At: at(301), Table: "orders", Op: "DeleteItem", Keys: `{"id":{"S":"o1"}}`},
		telemetry.StreamBatch{At: at(302), Table: "orders", Function: "notify", Records: 3, Err: "Unhandled"})
	hs.keys("4")
	// Without a SubscriptionLister, SUBS counts the subscriptions seen delivering.
	if f := strings.Fields(hs.lineWith("events")); strings.Join(f, " ") != "events 2 2 2 1" {
		t.Errorf("topic row %v, want events 2 subs, 2 published, 2 delivered, 1 failed", f)
	}
	// Counts are fetched as the screen opens, then on the clock.
	if f := strings.Fields(hs.lineWith("orders ")); strings.Join(f, " ") != "orders 2 3 Delete 1 Put 2 3 5 1" {
		t.Errorf("table row %v, want item count 2", f)
	}
	src.count = 7
	hs.send(clockMsg(base))
	if f := strings.Fields(hs.lineWith("orders ")); f[1] != "7" {
		t.Errorf("table row %v, want item count 7 after the clock", f)
	}
	src.countErr = errors.New("ResourceNotFoundException")
	hs.send(clockMsg(base)) // a table that cannot be counted (deleted) shows '-' again
	if f := strings.Fields(hs.lineWith("orders ")); f[1] != "-" {
		t.Errorf("table row %v, want '-' for a count that failed", f)
	}
	src.countErr = nil

	// Topic details list the subscriptions seen.
	hs.keys("enter")
	hs.mustShow("Topic events", "lambda:arn:aws:lambda:us-east-1:000000000000:function:email", "https:https://example.com/hook")
	hs.keys("esc", "down", "enter")
	hs.mustShow("Table orders", `{"id":{"S":"o1"},"total":{"N":"12"}}`, "2 items")
	if got := src.calls; len(got) != 1 || got[0] != "orders/100" {
		t.Errorf("source calls %v, want [orders/100]", got)
	}
	hs.keys("down", "enter")
	hs.mustShow(`"id": {`, `"S": "o2"`)
	hs.keys("esc", "r")
	if len(src.calls) != 2 {
		t.Errorf("r did not reload: %v", src.calls)
	}
	hs.keys("esc", "down", "enter")
	hs.mustShow("Table users", "no items")

	src.err = errors.New("ResourceNotFoundException: Requested resource not found")
	hs.keys("r")
	hs.mustShow("ResourceNotFoundException: Requested resource not found")
}

func TestItemBrowserWithoutSource(t *testing.T) {
	hs := newHarness(t, testInfo(), 100, 20)
	hs.keys("4", "down", "enter")
	hs.mustShow("Table orders", "no data source")
}

type fakeSource struct {
	items    map[string][]string
	count    int
	countErr error
	err      error
	calls    []string
}

func (f *fakeSource) TableItems(table string, limit int) ([]string, error) {
	f.calls = append(f.calls, fmt.Sprintf("%s/%d", table, limit))
	if f.err != nil {
		return nil, f.err
	}
	return f.items[table], nil
}

func (f *fakeSource) ItemCount(table string) (int, error) { return f.count, f.countErr }

// subsSource is a Source that also lists subscriptions.
type subsSource struct {
	fakeSource
	subs map[string][]Subscription
}

func (f *subsSource) TopicSubscriptions(topic string) ([]Subscription, error) {
	if s, ok := f.subs[topic]; ok {
		return s, nil
	}
	return nil, errors.New("NotFound: Topic does not exist")
}

func TestTopicSubscriptionsFromSource(t *testing.T) {
	src := &subsSource{subs: map[string][]Subscription{
		"events": {
			{ARN: "arn:aws:sns:us-east-1:000000000000:events:s1", Protocol: "lambda", Endpoint: "arn:aws:lambda:us-east-1:000000000000:function:email"},
			{ARN: "arn:aws:sns:us-east-1:000000000000:events:s3", Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:000000000000:audit"},
			{ARN: "arn:aws:sns:us-east-1:000000000000:events:s4", Protocol: "https", Endpoint: "https://example.com/\x1b[2Jhook", Pending: true},
		},
		"quiet": {},
	}}
	info := testInfo()
	info.Source = src
	info.Topics = []string{"events", "quiet", "gone"}
	hs := newHarness(t, info, 120, 30)
	// One delivery seen, through a subscription the source does not list
	// (since removed): the source's list wins.
	hs.feed(telemetry.SNSDelivered{At: at(1), Topic: "arn:aws:sns:us-east-1:000000000000:events", Subscription: "old",
		Protocol: "lambda", Endpoint: "arn:aws:lambda:us-east-1:000000000000:function:orders", Attempt: 1})
	hs.keys("4")
	for topic, want := range map[string]string{
		"events": "events 2 0 1 0", // two confirmed, the pending one not counted
		"quiet ": "quiet 0 0 0 0",
		"gone":   "gone 0 0 0 0", // the source cannot list it, nothing was seen
	} {
		if f := strings.Join(strings.Fields(hs.lineWith(topic)), " "); f != want {
			t.Errorf("topic row %q, want %q", f, want)
		}
	}
	hs.keys("enter")
	hs.mustShow("Topic events", "Subscriptions: 2 confirmed, 1 pending", "lambda:arn:aws:lambda:us-east-1:000000000000:function:email",
		"sqs:arn:aws:sqs:us-east-1:000000000000:audit", "https:https://example.com/", "pending confirmation")
	hs.mustNotShow("function:orders", "seen delivering")

	// A subscription added later shows on the next clock tick.
	src.subs["quiet"] = []Subscription{{ARN: "arn:aws:sns:us-east-1:000000000000:quiet:s9", Protocol: "lambda", Endpoint: "notify"}}
	hs.keys("esc")
	hs.send(clockMsg(base))
	if f := strings.Join(strings.Fields(hs.lineWith("quiet ")), " "); f != "quiet 1 0 0 0" {
		t.Errorf("topic row %q after subscribing, want quiet 1 0 0 0", f)
	}

	// A topic with thousands of subscriptions counts them all and keeps
	// a bounded few for its details.
	var many []Subscription
	for i := 0; i < 5000; i++ {
		many = append(many, Subscription{ARN: fmt.Sprintf("arn:aws:sns:us-east-1:000000000000:quiet:%05d", i), Protocol: "sqs", Endpoint: "q"})
	}
	src.subs["quiet"] = many
	hs.send(clockMsg(base))
	if f := strings.Join(strings.Fields(hs.lineWith("quiet ")), " "); f != "quiet 5000 0 0 0" {
		t.Errorf("topic row %q, want quiet 5000 0 0 0", f)
	}
	if n := len(hs.m.s.topics["quiet"].subs); n != maxSubsShown {
		t.Errorf("%d subscriptions kept, want %d", n, maxSubsShown)
	}
	hs.keys("down", "down", "enter") // events, gone, quiet
	hs.mustShow("Topic quiet", "Subscriptions: 5000 confirmed, 0 pending")
	hs.keys("G")
	hs.mustShow("… and 4800 more")
}

func TestBuildsScreen(t *testing.T) {
	hs := newHarness(t, testInfo(), 120, 30)
	out := "# ./functions/orders\nfunctions/orders/main.go:12:2: undefined: foo\nfunctions/orders/main.go:13:2: undefined: bar\n"
	hs.feed(
		telemetry.ChangeDetected{At: at(0), Paths: []string{"/p/functions/orders/main.go", "/p/internal/x.go"}, Functions: []string{"orders", "notify"}},
		telemetry.BuildStarted{At: at(1), Function: "orders", Generation: 2, Reason: "functions/orders/main.go"},
	)
	hs.keys("5")
	hs.mustShow("change main.go +1 more", "→ orders, notify", "build orders gen 2", "building")
	hs.feed(
		telemetry.BuildFinished{At: at(900), Function: "orders", Generation: 2, Duration: 899 * time.Millisecond, Err: "exit status 1", Output: out},
		telemetry.BuildStarted{At: at(901), Function: "notify", Generation: 2},
		telemetry.BuildFinished{At: at(1200), Function: "notify", Generation: 2, Duration: 299 * time.Millisecond},
		telemetry.Swapped{At: at(1201), Function: "notify", OldGeneration: 1, NewGeneration: 2},
		telemetry.ConfigReloaded{At: at(1300), Err: "slsx.yaml: functions.x.memory: must be 128..10240"},
	)
	hs.mustShow("✗ 899ms functions/orders/main.go:12:2: undefined: foo", "build notify gen 2", "ok 299ms",
		"swap notify 1 → 2", "serving", "config reloaded", "✗ rejected: slsx.yaml: functions.x.memory")
	hs.mustNotShow("building")
	// Newest first: config, swap, notify build, orders build, change.
	hs.keys("down", "down", "down", "enter")
	hs.mustShow("build orders gen 2", "reason: functions/orders/main.go", "Output", "exit status 1",
		"functions/orders/main.go:13:2: undefined: bar")
	hs.keys("esc", "G", "enter")
	hs.mustShow("Changed files", "/p/internal/x.go", "Functions rebuilt", "notify")
}

func TestSpinnerTicksOnlyWhileBuilding(t *testing.T) {
	hs := newHarness(t, testInfo(), 100, 20)
	var ticks int
	hs.m.tick = func(d time.Duration, f func(time.Time) tea.Msg) tea.Cmd {
		if d == spinInterval {
			ticks++
		}
		return nil
	}
	hs.feed(telemetry.Log{At: at(0), Message: "x"})
	if ticks != 0 {
		t.Fatal("spinner ticks with nothing building")
	}
	hs.feed(telemetry.BuildStarted{At: at(0), Function: "orders", Generation: 1})
	hs.feed(telemetry.BuildStarted{At: at(0), Function: "notify", Generation: 1})
	if ticks != 1 {
		t.Fatalf("spinner started %d times, want once", ticks)
	}
	first := hs.lineWith("slsx · shop")
	hs.send(spinMsg{})
	if hs.lineWith("slsx · shop") == first {
		t.Error("spinner frame did not advance")
	}
	hs.feed(telemetry.BuildFinished{At: at(1), Function: "orders", Generation: 1},
		telemetry.BuildFinished{At: at(1), Function: "notify", Generation: 1})
	hs.send(spinMsg{})
	if ticks != 2 || hs.m.spinning {
		t.Errorf("spinner still running after builds ended (ticks %d)", ticks)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	hs := newHarness(t, testInfo(), 120, 30)
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = 'x'
	}
	n := maxInvocations * 3
	for i := 0; i < n; i += 100 {
		var ev []telemetry.Event
		for j := i; j < i+100; j++ {
			ev = append(ev, orderChain(j, fmt.Sprintf("trace-%d", j), fmt.Sprint(j))...)
			ev = append(ev, telemetry.Log{At: at(j), Message: "m"})
		}
		ev = append(ev, telemetry.InvocationFinished{At: at(i), Function: "orders", RequestID: fmt.Sprintf("big-%d", i),
			Status: telemetry.StatusOK, Response: big, Logs: make([]string, 5000)})
		hs.feed(ev...)
	}
	s := hs.m.s
	checks := []struct {
		name     string
		got, max int
	}{
		{"invocations", s.invs.len(), maxInvocations},
		{"request index", len(s.byReq), maxInvocations},
		{"traces", len(s.traces.byID), maxTraces},
		{"logs", s.logs.len(), maxLogs},
	}
	for _, c := range checks {
		if c.got > c.max {
			t.Errorf("%s: %d kept, cap %d", c.name, c.got, c.max)
		}
	}
	for i := 0; i < s.invs.len(); i++ {
		inv := s.invs.at(i)
		if len(inv.response) > maxPayload+32 || len(inv.logs) > maxInvLogs {
			t.Fatalf("invocation %s keeps %d bytes and %d log lines", inv.reqID, len(inv.response), len(inv.logs))
		}
		if s.byReq[inv.reqID] != inv {
			t.Fatalf("request index lost %s", inv.reqID)
		}
	}
	for _, k := range []string{"2", "3"} {
		hs.keys(k)
		hs.screen()
	}
}

func TestFunctionOutputInLogs(t *testing.T) {
	hs := newHarness(t, testInfo(), 120, 20)
	hs.feed(telemetry.InvocationStarted{At: at(0), Function: "orders", RequestID: "req-1", Trigger: "POST /orders"},
		telemetry.LogLine{At: at(1), Function: "orders", RequestID: "req-1", Line: "saving order o1"},
		telemetry.LogLine{At: at(2), Function: "notify", RequestID: "req-2", Line: "stream INSERT users"}, // a request the list never saw
		telemetry.LogLine{At: at(3), Function: "orders", RequestID: "req-1", Line: "big " + strings.Repeat("x", 100<<10)},
		telemetry.Log{At: at(4), Level: "INFO", Message: "slsx line"})
	hs.keys("6")
	hs.mustShow("orders saving order o1", "notify stream INSERT users", "slsx   slsx line")
	// Lines are kept clipped: the pane holds maxLogs of them for hours.
	for i := 0; i < hs.m.s.logs.len(); i++ {
		if l := hs.m.s.logs.at(i); len(l.text) > maxLogText+len("…") {
			t.Errorf("log entry of %d bytes kept", len(l.text))
		}
	}
	// The filter finds a request's lines by its id.
	hs.keys("/")
	hs.typeText("req-1")
	hs.keys("enter")
	hs.mustShow("saving order o1", "big xxx")
	hs.mustNotShow("stream INSERT", "slsx line")
	// The invocation still has its own lines.
	hs.keys("esc", "2", "enter")
	hs.mustShow("Invocation req-1", "saving order o1")
}

func TestLogsRingIsBounded(t *testing.T) {
	hs := newHarness(t, testInfo(), 100, 12)
	var ev []telemetry.Event
	for i := 0; i < maxLogs+10; i++ {
		ev = append(ev, telemetry.LogLine{At: at(i), Function: "orders", RequestID: "req-1", Line: fmt.Sprintf("line %d", i)})
	}
	hs.feed(ev...)
	if n := hs.m.s.logs.len(); n != maxLogs {
		t.Fatalf("%d log lines kept, want %d", n, maxLogs)
	}
	if first := hs.m.s.logs.at(0).text; first != "line 10" {
		t.Errorf("oldest kept %q, want line 10", first)
	}
}

// listSource is a Source that also lists the tables and topics that exist.
type listSource struct {
	fakeSource
	tables, topics []string
	listErr        error
	counted        int // ItemCount calls
}

func (f *listSource) Resources() (tables, topics []string, err error) {
	return f.tables, f.topics, f.listErr
}

func (f *listSource) ItemCount(table string) (int, error) {
	f.counted++
	return f.fakeSource.ItemCount(table)
}

func TestResourcesFollowTheServices(t *testing.T) {
	src := &listSource{tables: []string{"orders", "users"}, topics: []string{"events"}}
	src.count = 3
	info := testInfo()
	info.Source = src
	info.Tables = []string{"orders", "users"}
	hs := newHarness(t, info, 120, 30)
	hs.feed(orderChain(0, "t1", "a")...)
	hs.keys("4")
	hs.mustNotShow("runtime")

	// Made through the AWS APIs: shown on the next tick, marked runtime,
	// with their item counts; the project's keep their traffic.
	src.tables = []string{"audit", "orders", "users"}
	src.topics = []string{"alerts", "events"}
	hs.send(clockMsg(base))
	for prefix, want := range map[string]string{
		"alerts ": "alerts runtime 0 0 0 0",
		"events ": "events 1 1 1 0",
		"audit ":  "audit runtime 3 0 0 0 0",
		"orders ": "orders 3 1 Put 1 1 1 0",
		"users ":  "users 3 0 0 0 0",
	} {
		if f := strings.Join(strings.Fields(hs.lineWith(prefix)), " "); f != want {
			t.Errorf("row %q, want %q", f, want)
		}
	}
	// The cursor stayed on events as alerts came above it. The details
	// of a topic say where it came from.
	hs.keys("enter")
	hs.mustShow("Topic events", "declared in the project")
	hs.keys("esc", "up", "enter")
	hs.mustShow("Topic alerts", "created at runtime")
	hs.keys("esc", "down", "down", "down") // events, audit, orders

	// Deleted ones go, declared or not; the cursor stays on its row
	// while the rows above it come and go.
	src.tables = []string{"orders"}
	src.topics = []string{"events"}
	hs.send(clockMsg(base))
	hs.mustNotShow("alerts", "audit", "users")
	if f := strings.Join(strings.Fields(hs.lineWith("orders ")), " "); f != "orders 3 1 Put 1 1 1 0" {
		t.Errorf("orders row %q lost its counters", f)
	}
	hs.keys("enter")
	hs.mustShow("Table orders")
	hs.keys("esc")

	// A listing that fails changes nothing.
	src.listErr = errors.New("dynamodb is shutting down")
	src.tables = nil
	hs.send(clockMsg(base))
	hs.mustShow("orders ")
	src.listErr = nil
	src.tables = []string{"orders"}

	// Traffic to a table created after the listing was asked for is not
	// dropped by that listing; it is by the next one if the table is gone.
	_, cmd := hs.m.Update(clockMsg(base))
	hs.feed(telemetry.DynamoWrite{At: at(500), Table: "fresh", Op: "PutItem", Keys: `{"id":{"S":"f1"}}`})
	hs.run(cmd)
	if f := strings.Join(strings.Fields(hs.lineWith("fresh")), " "); f != "fresh runtime - 1 Put 1 0 0 0" {
		t.Errorf("fresh row %q, want it kept with its write", f)
	}
	hs.send(clockMsg(base))
	hs.mustNotShow("fresh")
}

func TestResourcesAreCapped(t *testing.T) {
	src := &listSource{tables: []string{"orders"}, topics: []string{"events"}}
	info := testInfo()
	info.Source = src
	hs := newHarness(t, info, 120, 30)
	hs.feed(orderChain(0, "t1", "a")...)
	hs.keys("4")
	for i := 0; i < 1234; i++ {
		src.tables = append(src.tables, fmt.Sprintf("a%04d", i))
	}
	src.tables = append(src.tables, "orders") // repeated: counted once
	src.counted = 0
	hs.send(clockMsg(base))
	if n := len(hs.m.s.tables); n != maxResources {
		t.Fatalf("%d tables kept, want %d", n, maxResources)
	}
	if src.counted != maxResources {
		t.Errorf("%d item counts asked for, want %d", src.counted, maxResources)
	}
	// The shown ones are kept (orders with its traffic), the new ones
	// fill the rest in name order.
	if o := hs.m.s.tables["orders"]; o == nil || o.writes != 1 {
		t.Errorf("orders %+v lost its writes", o)
	}
	hs.keys("G")
	hs.mustShow("a0498 runtime", "… and 735 more")
	hs.mustNotShow("a0499")

	// Traffic to tables beyond the cap is not kept either.
	src.tables = []string{"orders"}
	hs.send(clockMsg(base))
	var ev []telemetry.Event
	for i := 0; i < 600; i++ {
		ev = append(ev, telemetry.DynamoWrite{At: at(1000 + i), Table: fmt.Sprintf("b%04d", i), Op: "PutItem"})
	}
	hs.feed(ev...)
	if n := len(hs.m.s.tables); n != maxResources {
		t.Fatalf("%d tables kept after traffic, want %d", n, maxResources)
	}
	hs.keys("G")
	hs.mustShow("b0498 runtime", "… and more")
	// The next listing forgets them all: none exist.
	hs.send(clockMsg(base))
	if n := len(hs.m.s.tables); n != 1 {
		t.Errorf("%d tables kept, want only orders", n)
	}
	hs.mustNotShow("… and")
}
