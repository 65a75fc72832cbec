package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/slsx/slsx/emulator/telemetry"
	"github.com/slsx/slsx/tui"
)

const (
	topicARN = "arn:aws:sns:us-east-1:000000000000:order-events"
	limit    = 10
)

func demoInfo() tui.Info {
	fn := func(name string, routes, triggers []string) tui.FunctionInfo {
		return tui.FunctionInfo{
			Name: name, Handler: "./functions/" + name, Routes: routes, Triggers: triggers,
			Env:         map[string]string{"TABLE_USERS": "users", "TABLE_ORDERS": "orders", "LOG_LEVEL": "debug"},
			Concurrency: limit, MemoryMB: 128, Timeout: 3 * time.Second,
		}
	}
	return tui.Info{
		Project:  "shop",
		APIURLs:  []string{"http://127.0.0.1:3000"},
		AWSURL:   "http://127.0.0.1:4566",
		Executor: "process",
		Functions: []tui.FunctionInfo{
			fn("users", []string{"GET /users/{id}", "POST /users"}, nil),
			fn("orders", []string{"POST /orders", "GET /orders/{id}"}, nil),
			fn("notify", nil, []string{"ddb:orders"}),
			fn("email", nil, []string{"sns:order-events"}),
			fn("report", nil, []string{"invoke"}),
		},
		Topics: []string{"order-events"},
		Tables: []string{"orders", "users"},
		Source: demoSource{},
	}
}

// demoSource serves made-up items to the table browser.
type demoSource struct{}

func (demoSource) TableItems(table string, limit int) ([]string, error) {
	var out []string
	for i := 0; i < min(limit, 30); i++ {
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("%s-%03d", table, i), "name": "Ada Lovelace", "total": i * 7, "tags": []string{"a", "b"}})
		out = append(out, string(b))
	}
	return out, nil
}

func (demoSource) ItemCount(table string) (int, error) { return 30, nil }

// sim publishes plausible chains of events.
type sim struct {
	bus  *telemetry.Bus
	rng  *rand.Rand
	busy map[string]int
	idle map[string]int
	gen  map[string]int
}

func generate(ctx context.Context, bus *telemetry.Bus, rate int) {
	s := &sim{bus: bus, rng: rand.New(rand.NewPCG(1, 2)), busy: map[string]int{}, idle: map[string]int{}, gen: map[string]int{}}
	for _, f := range demoInfo().Functions {
		s.build(f.Name, "initial", false)
	}
	s.log("INFO", "API listening on http://127.0.0.1:3000")
	s.log("INFO", "AWS edge listening on http://127.0.0.1:4566")
	tick := time.NewTicker(time.Second / time.Duration(max(rate, 1)))
	defer tick.Stop()
	rebuild := time.NewTicker(15 * time.Second)
	defer rebuild.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-rebuild.C:
			go s.reload(ctx)
		case <-tick.C:
			n++
			switch r := s.rng.IntN(10); {
			case r < 5:
				s.getUser()
			case r < 9:
				s.postOrder()
			default:
				s.invokeReport()
			}
			if n%200 == 0 {
				s.bus.Publish(telemetry.LogLine{At: telemetry.Now(), Function: "notify", EnvID: "env-1", Line: "background flush done"})
			}
		}
	}
}

func (s *sim) log(level, msg string) {
	s.bus.Publish(telemetry.Log{At: telemetry.Now(), Level: level, Message: msg})
}

func (s *sim) build(fn, reason string, fail bool) {
	s.gen[fn]++
	g := s.gen[fn]
	s.bus.Publish(telemetry.BuildStarted{At: telemetry.Now(), Function: fn, Generation: g, Reason: reason})
	time.Sleep(time.Duration(300+s.rng.IntN(900)) * time.Millisecond)
	if fail {
		out := fmt.Sprintf("# ./functions/%s\nfunctions/%s/main.go:42:9: undefined: ordersTable\nfunctions/%s/main.go:57:2: declared and not used: err\n", fn, fn, fn)
		s.bus.Publish(telemetry.BuildFinished{At: telemetry.Now(), Function: fn, Generation: g, Duration: 812 * time.Millisecond, Err: "exit status 1", Output: out})
		s.log("ERROR", "build "+fn+" failed; generation "+fmt.Sprint(g-1)+" keeps serving")
		s.gen[fn]--
		return
	}
	s.bus.Publish(telemetry.BuildFinished{At: telemetry.Now(), Function: fn, Generation: g, Duration: 640 * time.Millisecond})
	if g > 1 {
		s.bus.Publish(telemetry.Swapped{At: telemetry.Now(), Function: fn, OldGeneration: g - 1, NewGeneration: g})
	}
}

func (s *sim) reload(ctx context.Context) {
	fns := []string{"orders"}
	if s.rng.IntN(2) == 0 {
		fns = []string{"orders", "notify"}
	}
	s.bus.Publish(telemetry.ChangeDetected{At: telemetry.Now(), Paths: []string{"/home/dev/shop/functions/orders/main.go", "/home/dev/shop/internal/store/store.go"}, Functions: fns})
	for _, fn := range fns {
		if ctx.Err() != nil {
			return
		}
		s.build(fn, "functions/orders/main.go", s.rng.IntN(3) == 0)
	}
}

func traceID() string {
	u := uuid.New()
	return fmt.Sprintf("Root=1-%08x-%x", time.Now().Unix(), u[:12])
}

// invoke publishes one invocation starting at t and returns its end.
func (s *sim) invoke(t time.Time, fn, trig, trace string, async bool, event any, resp any, d time.Duration) time.Time {
	req := uuid.NewString()
	cold := s.idle[fn] == 0
	status, errType := telemetry.StatusOK, ""
	switch r := s.rng.IntN(100); {
	case r < 2:
		status, errType, resp = telemetry.StatusError, "errorString", map[string]string{"errorMessage": "order not found", "errorType": "errorString"}
	case r < 3:
		status, errType, resp, d = telemetry.StatusTimeout, "Sandbox.Timedout", map[string]string{"errorMessage": "Task timed out after 3.00 seconds", "errorType": "Sandbox.Timedout"}, 3*time.Second
	}
	if s.busy[fn] >= limit && !async {
		s.bus.Publish(telemetry.Throttled{At: telemetry.At{Time: t}, Function: fn, RequestID: req, Trigger: trig, Limit: limit})
		return t
	}
	ev, _ := json.Marshal(event)
	rb, _ := json.Marshal(resp)
	var init time.Duration
	if cold {
		init = time.Duration(80+s.rng.IntN(120)) * time.Millisecond
		s.idle[fn]++
		s.bus.Publish(telemetry.EnvStarted{At: telemetry.At{Time: t}, Function: fn, Generation: s.gen[fn], EnvID: "env-" + req[:4], InitDuration: init, Executor: "process"})
	}
	s.busy[fn] = min(s.busy[fn]+1+s.rng.IntN(3), limit)
	s.bus.Publish(telemetry.PoolState{At: telemetry.At{Time: t}, Function: fn, Busy: s.busy[fn], Idle: s.idle[fn], Limit: limit})
	s.bus.Publish(telemetry.InvocationStarted{At: telemetry.At{Time: t}, Function: fn, Generation: s.gen[fn], RequestID: req,
		TraceID: trace, Trigger: trig, Async: async, Cold: cold, EnvID: "env-1", Event: ev})
	end := t.Add(d)
	logs := []string{
		"START RequestId: " + req + " Version: $LATEST",
		fmt.Sprintf("%s handling %s", end.Format("2006/01/02 15:04:05"), trig),
		fmt.Sprintf("END RequestId: %s", req),
		fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 128 MB\tMax Memory Used: 31 MB", req, float64(d.Microseconds())/1000, d.Milliseconds()+1),
	}
	s.bus.Publish(telemetry.InvocationFinished{At: telemetry.At{Time: end}, Function: fn, Generation: s.gen[fn], RequestID: req,
		TraceID: trace, Trigger: trig, Async: async, Cold: cold, EnvID: "env-1", Status: status, ErrorType: errType,
		Duration: d, InitDuration: init, BilledMs: d.Milliseconds() + 1, MemoryMB: 128, MaxMemoryMB: 31, Response: rb, Logs: logs})
	s.busy[fn] = max(s.busy[fn]-1-s.rng.IntN(2), 0)
	s.bus.Publish(telemetry.PoolState{At: telemetry.At{Time: end}, Function: fn, Busy: s.busy[fn], Idle: s.idle[fn], Limit: limit})
	return end
}

func (s *sim) ms(lo, hi int) time.Duration {
	return time.Duration(lo+s.rng.IntN(hi-lo)) * time.Millisecond
}

func (s *sim) getUser() {
	t0, tr := time.Now(), traceID()
	id := s.rng.IntN(100)
	d := s.ms(2, 40)
	end := s.invoke(t0.Add(time.Millisecond), "users", "GET /users/{id}", tr, false,
		map[string]any{"version": "2.0", "routeKey": "GET /users/{id}", "rawPath": fmt.Sprintf("/users/%d", id), "pathParameters": map[string]string{"id": fmt.Sprint(id)}},
		map[string]any{"statusCode": 200, "body": fmt.Sprintf(`{"id":"%d","name":"Ada"}`, id)}, d)
	s.bus.Publish(telemetry.HTTPRequest{At: telemetry.At{Time: end.Add(time.Millisecond)}, API: "default", Method: "GET",
		Path: fmt.Sprintf("/users/%d", id), RouteKey: "GET /users/{id}", Function: "users", Status: 200,
		Duration: end.Add(time.Millisecond).Sub(t0), RequestID: uuid.NewString()[:8], TraceID: tr})
}

func (s *sim) postOrder() {
	t0, tr := time.Now(), traceID()
	id := uuid.NewString()[:8]
	d := s.ms(10, 80)
	start := t0.Add(time.Millisecond)
	keys := fmt.Sprintf(`{"id":{"S":"%s"}}`, id)
	s.bus.Publish(telemetry.DynamoWrite{At: telemetry.At{Time: start.Add(d / 2)}, Table: "orders", Op: "PutItem", Keys: keys, TraceID: tr})
	end := s.invoke(start, "orders", "POST /orders", tr, false,
		map[string]any{"version": "2.0", "routeKey": "POST /orders", "body": fmt.Sprintf(`{"sku":"A-1","qty":%d}`, 1+s.rng.IntN(3))},
		map[string]any{"statusCode": 201, "body": fmt.Sprintf(`{"id":"%s"}`, id)}, d)
	s.bus.Publish(telemetry.HTTPRequest{At: telemetry.At{Time: end.Add(time.Millisecond)}, API: "default", Method: "POST",
		Path: "/orders", RouteKey: "POST /orders", Function: "orders", Status: 201,
		Duration: end.Add(time.Millisecond).Sub(t0), RequestID: uuid.NewString()[:8], TraceID: tr})

	bt := start.Add(d/2 + s.ms(5, 30))
	s.bus.Publish(telemetry.StreamBatch{At: telemetry.At{Time: bt}, Table: "orders", Function: "notify", Records: 1, TraceID: tr})
	nd := s.ms(5, 40)
	s.bus.Publish(telemetry.SNSPublished{At: telemetry.At{Time: bt.Add(nd / 2)}, Topic: topicARN, MessageID: id + "-msg", TraceID: tr})
	s.bus.Publish(telemetry.SNSDelivered{At: telemetry.At{Time: bt.Add(nd/2 + time.Millisecond)}, Topic: topicARN,
		Subscription: topicARN + ":sub-email", Protocol: "lambda", Endpoint: "arn:aws:lambda:us-east-1:000000000000:function:email",
		MessageID: id + "-msg", TraceID: tr, Attempt: 1})
	s.invoke(bt.Add(time.Millisecond), "notify", "ddb:orders", tr, true,
		map[string]any{"Records": []any{map[string]any{"eventName": "INSERT", "dynamodb": map[string]any{"Keys": json.RawMessage(keys)}}}}, nil, nd)
	s.invoke(bt.Add(nd/2+2*time.Millisecond), "email", "sns:order-events", tr, true,
		map[string]any{"Records": []any{map[string]any{"EventSource": "aws:sns", "Sns": map[string]any{"Message": "order " + id}}}}, nil, s.ms(3, 20))
}

func (s *sim) invokeReport() {
	t0 := time.Now()
	s.invoke(t0, "report", "invoke", traceID(), false, map[string]any{"day": t0.Format("2006-01-02")},
		map[string]any{"orders": s.rng.IntN(500)}, s.ms(20, 200))
}
