package lambdatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// Case is one behaviour of the suite: a fresh harness with Options runs
// Run.
type Case struct {
	Name    string
	Options lambda.Options
	Run     func(t *testing.T, h *Harness)
}

// Cases is the behaviour table every executor must pass.
var Cases = []Case{
	{Name: "echo", Run: testEcho},
	{Name: "failures", Options: lambda.Options{InitTimeout: initTimeout}, Run: testFailures},
	// The idle timeout outlasts a slow cold start on a loaded machine: an
	// environment of the first burst that idles while another still starts
	// must not be stopped before the warm-reuse checks.
	{Name: "scaling", Options: lambda.Options{IdleTimeout: 2 * time.Second}, Run: testScaling},
	{Name: "logs", Run: testLogs},
	{Name: "hot swap", Run: testHotSwap},
	{Name: "sdk from handler", Run: testSDK},
	{Name: "graceful shutdown", Options: lambda.Options{IdleTimeout: 200 * time.Millisecond}, Run: testGracefulShutdown},
}

// initTimeout bounds init in the failures case; hanginit hits it. It is
// long enough for a container to start on a loaded machine.
const initTimeout = 3 * time.Second

// Run runs every case on target, each as a subtest with its own harness.
func Run(t *testing.T, target Target) {
	for _, c := range Cases {
		t.Run(c.Name, func(t *testing.T) {
			c.Run(t, New(t, target, c.Options))
		})
	}
}

// waitResources waits until the executor holds want resources for fn.
func waitResources(t *testing.T, h *Harness, fn string, want func(int) bool, what string) {
	t.Helper()
	if h.Target.Resources == nil {
		return
	}
	var n int
	h.WaitFor(what, func() bool { n = h.Target.Resources(t, h, fn); return want(n) })
}

func testEcho(t *testing.T, h *Harness) {
	h.Deploy("echo", "echo", 1, nil)
	// The echo handler returns its json.RawMessage, which aws-lambda-go
	// sends as is; slsx passes the runtime's bytes through unchanged.
	tests := []struct {
		name      string
		in        lambdasdk.InvokeInput
		want      string // exact payload, when set
		fnErr     string
		wantInLog []string
	}{
		{name: "object", in: lambdasdk.InvokeInput{Payload: []byte(`{"a":1,"b":[true,null]}`)}, want: `{"a":1,"b":[true,null]}`},
		{name: "empty payload is {}", in: lambdasdk.InvokeInput{}, want: "{}"},
		{name: "string", in: lambdasdk.InvokeInput{Payload: []byte(`"hi"`)}, want: `"hi"`},
		{name: "arn name", in: lambdasdk.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:echo"), Payload: []byte(`1`)}, want: "1"},
		{name: "partial arn and qualifier", in: lambdasdk.InvokeInput{FunctionName: aws.String("000000000000:function:echo:$LATEST"), Payload: []byte(`2`)}, want: "2"},
		{name: "qualifier param", in: lambdasdk.InvokeInput{Qualifier: aws.String("$LATEST"), Payload: []byte(`3`)}, want: "3"},
		{name: "function error", in: lambdasdk.InvokeInput{Payload: []byte(`{"error":"boom"}`)}, want: `{"errorMessage":"boom","errorType":"errorString"}`, fnErr: "Unhandled"},
		{name: "log tail", in: lambdasdk.InvokeInput{Payload: []byte(`{"log":["hello from the handler","second line"]}`), LogType: types.LogTypeTail},
			wantInLog: []string{"START RequestId: ", " Version: $LATEST\n", "hello from the handler\nsecond line\nEND RequestId: ", "REPORT RequestId: ",
				"\tBilled Duration: ", "\tMemory Size: 128 MB\tMax Memory Used: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.FunctionName == nil {
				in.FunctionName = aws.String("echo")
			}
			out, err := h.Client.Invoke(context.Background(), &in)
			if err != nil {
				t.Fatal(err)
			}
			if out.StatusCode != 200 {
				t.Errorf("status %d", out.StatusCode)
			}
			if tc.want != "" && string(out.Payload) != tc.want {
				t.Errorf("payload %q, want %q", out.Payload, tc.want)
			}
			if aws.ToString(out.FunctionError) != tc.fnErr {
				t.Errorf("function error %q, want %q", aws.ToString(out.FunctionError), tc.fnErr)
			}
			if aws.ToString(out.ExecutedVersion) != "$LATEST" {
				t.Errorf("executed version %q", aws.ToString(out.ExecutedVersion))
			}
			if len(tc.wantInLog) > 0 {
				logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range tc.wantInLog {
					if !strings.Contains(string(logs), s) {
						t.Errorf("log tail lacks %q:\n%s", s, logs)
					}
				}
			} else if out.LogResult != nil {
				t.Errorf("log result without Tail")
			}
		})
	}
	// One environment served every call: one cold start, the rest warm.
	h.WaitFor("finished events", func() bool { return len(h.Finished("echo")) == len(tests) })
	started := h.EventsOf(func(e telemetry.Event) bool { s, ok := e.(telemetry.EnvStarted); return ok && s.Function == "echo" })
	if len(started) != 1 || started[0].(telemetry.EnvStarted).Executor != h.Target.Name {
		t.Errorf("EnvStarted events %v, want one from %s", started, h.Target.Name)
	}
	if n := h.environments("echo"); n != 1 {
		t.Errorf("%d environments, want 1", n)
	}
	if h.Target.Resources != nil {
		if n := h.Target.Resources(t, h, "echo"); n != 1 {
			t.Errorf("%s holds %d resources for one environment", h.Target.Name, n)
		}
	}
	// Every log line reached the invocation it belongs to, and only it.
	logged := 0
	for i, f := range h.Finished("echo") {
		if f.Cold != (i == 0) {
			t.Errorf("invocation %d cold=%v", i, f.Cold)
		}
		all := strings.Join(f.Logs, "\n")
		if strings.Contains(all, "hello from the handler") {
			logged++
			if !strings.Contains(all, "hello from the handler\nsecond line\nEND RequestId: "+f.RequestID) {
				t.Errorf("logs %q", f.Logs)
			}
		}
		if f.MaxMemoryMB <= 0 || f.MaxMemoryMB > 128 {
			t.Errorf("max memory %d MB", f.MaxMemoryMB)
		}
	}
	if logged != 1 {
		t.Errorf("%d invocations logged the lines, want 1", logged)
	}
}

func testFailures(t *testing.T, h *Harness) {
	h.Deploy("panic", "panic", 1, nil)
	h.Deploy("exit", "exit", 1, nil)
	h.Deploy("sleep", "sleep", 1, func(f *config.Function) { f.Timeout = time.Second })
	h.Deploy("initfail", "initfail", 1, nil)
	h.Deploy("initerror", "initerror", 1, nil)
	h.Deploy("big", "big", 1, nil)
	h.Deploy("missing", "does-not-exist", 1, nil)
	h.Deploy("hanginit", "hanginit", 1, nil)
	id := `[0-9a-f-]{36}`
	secs := fmt.Sprintf("%.2f", initTimeout.Seconds())
	tests := []struct {
		fn        string
		body      string // regexp over the payload
		errType   string // InvocationFinished.ErrorType
		status    string
		reportEnd string // regexp the REPORT line must match at its end
		logHas    string
	}{
		{fn: "panic", body: `^\{"errorMessage":"boom","errorType":"string","stackTrace":\[\{"path":".+","line":\d+,"label":".+"\}`, errType: "string", status: telemetry.StatusError,
			reportEnd: `Init Duration: \d+\.\d\d ms\t$`},
		{fn: "exit", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"\}$`, errType: "Runtime.ExitError", status: telemetry.StatusCrash,
			reportEnd: `Status: error\tError Type: Runtime.ExitError\t$`, logHas: "about to exit"},
		{fn: "sleep", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"\}$`, errType: "Sandbox.Timedout", status: telemetry.StatusTimeout,
			reportEnd: `Status: timeout\t$`, logHas: "sleeping"},
		{fn: "initfail", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Runtime exited with error: exit status 1","errorType":"Runtime.ExitError"\}$`, errType: "Runtime.ExitError", status: telemetry.StatusCrash,
			reportEnd: `Init Duration: \d+\.\d\d ms\tStatus: error\tError Type: Runtime.ExitError\t$`, logHas: "init failed: DATABASE_URL is not set"},
		{fn: "initerror", body: `^\{"errorMessage":"cannot load config","errorType":"Runtime.ConfigError"\}$`, errType: "Runtime.ConfigError", status: telemetry.StatusError},
		{fn: "big", body: `^\{"errorMessage":"Response payload size exceeded maximum allowed payload size \(6291556 bytes\).","errorType":"Function.ResponseSizeTooLarge"\}$`, errType: "Function.ResponseSizeTooLarge", status: telemetry.StatusError},
		{fn: "hanginit", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Task timed out after ` + regexp.QuoteMeta(secs) + ` seconds","errorType":"Sandbox.Timedout"\}$`, errType: "Sandbox.Timedout", status: telemetry.StatusTimeout,
			reportEnd: `Init Duration: \d+\.\d\d ms\tStatus: timeout\t$`},
		{fn: "missing", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: ` + h.Target.MissingBootstrap + `","errorType":"Runtime.InvalidEntrypoint"\}$`, errType: "Runtime.InvalidEntrypoint", status: telemetry.StatusCrash},
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			// Twice: the failure must reset the environment, so the second
			// call is a fresh cold start that fails the same way.
			for i := 0; i < 2; i++ {
				out := h.Invoke(tc.fn, `{}`)
				if aws.ToString(out.FunctionError) != "Unhandled" {
					t.Fatalf("function error %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
				}
				if !regexp.MustCompile(tc.body).Match(out.Payload) {
					t.Fatalf("payload %s\ndoes not match %s", out.Payload, tc.body)
				}
			}
			var fins []telemetry.InvocationFinished
			h.WaitFor("two finished events", func() bool { fins = h.Finished(tc.fn); return len(fins) == 2 })
			for _, f := range fins {
				if f.Status != tc.status || f.ErrorType != tc.errType || !f.Cold {
					t.Errorf("finished: status %q type %q cold %v", f.Status, f.ErrorType, f.Cold)
				}
				report := f.Logs[len(f.Logs)-1]
				if !strings.HasPrefix(report, "REPORT RequestId: "+f.RequestID+"\tDuration: ") {
					t.Errorf("report line %q", report)
				}
				if tc.reportEnd != "" && !regexp.MustCompile(tc.reportEnd).MatchString(report) {
					t.Errorf("report line %q does not end with %q", report, tc.reportEnd)
				}
				if tc.logHas != "" && !strings.Contains(strings.Join(f.Logs, "\n"), tc.logHas) {
					t.Errorf("logs lack %q: %q", tc.logHas, f.Logs)
				}
			}
			// Each failure reset its environment, which leaves nothing
			// behind: no process, no container.
			waitResources(t, h, tc.fn, func(n int) bool { return n == 0 }, "failed environments' resources to go")
		})
	}
}

// Served is what the concurrency test handler answers: the pid of the
// process that ran the call and its environment's log stream.
type Served struct {
	Pid    int    `json:"pid"`
	Stream string `json:"stream"`
}

// Burst runs n concurrent invocations of fn; it returns the successful
// results and the errors.
func Burst(h *Harness, fn string, n int, payload string) ([]Served, []error) {
	var mu sync.Mutex
	var res []Served
	var errs []error
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			var s Served
			if out.FunctionError != nil || json.Unmarshal(out.Payload, &s) != nil {
				errs = append(errs, errors.New("function error: "+string(out.Payload)))
				return
			}
			res = append(res, s)
		}()
	}
	wg.Wait()
	return res, errs
}

// CountCold is the number of cold starts among fn's finished invocations.
func CountCold(h *Harness, fn string) int {
	n := 0
	for _, f := range h.Finished(fn) {
		if f.Cold {
			n++
		}
	}
	return n
}

func testScaling(t *testing.T, h *Harness) {
	const limit = 3
	h.Deploy("slow", "concurrency", 1, func(f *config.Function) { f.Concurrency = limit })

	// limit concurrent slow calls start limit environments (the log
	// stream name is per environment).
	res, errs := Burst(h, "slow", limit, `{"ms":800}`)
	if len(errs) > 0 || len(res) != limit {
		t.Fatalf("burst: %d ok, errors %v", len(res), errs)
	}
	streams := map[string]bool{}
	for _, r := range res {
		streams[r.Stream] = true
	}
	if len(streams) != limit {
		t.Fatalf("%d distinct environments served %d concurrent calls, want %d", len(streams), limit, limit)
	}
	if n := h.Target.Resources; n != nil && n(t, h, "slow") != limit {
		t.Errorf("%s holds %d resources for %d environments", h.Target.Name, n(t, h, "slow"), limit)
	}

	// limit+1 concurrent calls: exactly one is throttled with AWS's error.
	res, errs = Burst(h, "slow", limit+1, `{"ms":800}`)
	if len(res) != limit || len(errs) != 1 {
		t.Fatalf("limit+1: %d ok, errors %v", len(res), errs)
	}
	var tm *types.TooManyRequestsException
	if !errors.As(errs[0], &tm) || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || tm.ErrorMessage() != "Rate Exceeded." {
		t.Fatalf("throttle error %v", errs[0])
	}
	if n := len(h.EventsOf(func(e telemetry.Event) bool { _, ok := e.(telemetry.Throttled); return ok })); n != 1 {
		t.Errorf("%d Throttled events, want 1", n)
	}

	// After the bursts the warm environments are reused: no new cold start.
	coldBefore := CountCold(h, "slow")
	for i := 0; i < 10; i++ {
		var s Served
		if err := json.Unmarshal(h.Invoke("slow", `{"ms":0}`).Payload, &s); err != nil || !streams[s.Stream] {
			t.Fatalf("serial call %d served by %q, not a warm environment %v (err %v)", i, s.Stream, streams, err)
		}
	}
	if c := CountCold(h, "slow"); c != coldBefore {
		t.Errorf("serial calls made %d cold starts", c-coldBefore)
	}

	// Idle environments stop after the idle timeout, and their processes
	// or containers go with them.
	h.WaitFor("idle environments to stop", func() bool { return h.environments("slow") == 0 })
	h.WaitFor("EnvStopped events", func() bool {
		return len(h.EventsOf(func(e telemetry.Event) bool { s, ok := e.(telemetry.EnvStopped); return ok && s.Reason == "idle" })) == limit
	})
	waitResources(t, h, "slow", func(n int) bool { return n == 0 }, "idle environments' resources to go")
}

func testLogs(t *testing.T, h *Harness) {
	h.Deploy("echo", "echo", 1, nil)
	// With more than 4 KB of output the tail keeps the end (the platform
	// lines) and starts mid-log.
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = "line-" + strconv.Itoa(i) + strings.Repeat("z", 90)
	}
	payload := `{"log":["` + strings.Join(lines, `","`) + `"]}`
	out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(payload), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	const tailBytes = 4096
	if len(b) != tailBytes || !strings.Contains(string(b), lines[99]+"\nEND RequestId: ") || !strings.HasPrefix(string(b[strings.LastIndex(string(b), "\nREPORT")+1:]), "REPORT RequestId: ") ||
		strings.Contains(string(b), "START RequestId") {
		t.Errorf("tail of %d bytes:\n%s", len(b), b)
	}
	var fin []telemetry.InvocationFinished
	h.WaitFor("finished", func() bool { fin = h.Finished("echo"); return len(fin) == 1 })
	f := fin[0]
	// The whole log, in order: START, every line, END, REPORT.
	want := append(append([]string{"START RequestId: " + f.RequestID + " Version: $LATEST"}, lines...), "END RequestId: "+f.RequestID)
	if len(f.Logs) != len(want)+1 {
		t.Fatalf("%d log lines, want %d: %q", len(f.Logs), len(want)+1, f.Logs)
	}
	for i, w := range want {
		if f.Logs[i] != w {
			t.Errorf("log line %d = %q, want %q", i, f.Logs[i], w)
		}
	}
	// Max Memory Used is measured, not the configured size.
	report := f.Logs[len(f.Logs)-1]
	if m := f.MaxMemoryMB; m <= 0 || m >= 128 || !strings.Contains(report, "\tMax Memory Used: "+strconv.Itoa(m)+" MB\t") {
		t.Errorf("max memory %d MB, report %q", m, report)
	}
	if !regexp.MustCompile(`^REPORT RequestId: ` + f.RequestID + `\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t$`).MatchString(report) {
		t.Errorf("report line %q", report)
	}
	// Each line was also published on its own, tagged with the request.
	published := h.EventsOf(func(e telemetry.Event) bool {
		l, ok := e.(telemetry.LogLine)
		return ok && l.Function == "echo" && strings.HasPrefix(l.Line, "line-")
	})
	if len(published) != len(lines) {
		t.Errorf("%d LogLine events, want %d", len(published), len(lines))
	}
}

func testHotSwap(t *testing.T, h *Harness) {
	fn := h.Deploy("svc", "echo", 1, nil)
	// Two generation-1 environments: one stays idle, one is kept busy.
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); h.Invoke("svc", `{"sleepMs":300}`) }()
	}
	wg.Wait()
	if n := len(h.EventsOf(func(e telemetry.Event) bool { _, ok := e.(telemetry.EnvStarted); return ok })); n != 2 {
		t.Fatalf("%d environments, want 2", n)
	}
	busy := make(chan *lambdasdk.InvokeOutput)
	go func() {
		out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("svc"), Payload: []byte(`{"sleepMs":600,"info":true}`)})
		if err != nil {
			t.Error(err)
		}
		busy <- out
	}()
	h.WaitFor("the slow call to start", func() bool {
		return len(h.EventsOf(func(e telemetry.Event) bool {
			s, ok := e.(telemetry.InvocationStarted)
			return ok && strings.Contains(string(s.Event), "info")
		})) == 1
	})
	// Generation 2 is other code: the concurrency handler.
	if err := h.S.Deploy(fn, h.Target.HandlerDir("concurrency"), 2); err != nil {
		t.Fatal(err)
	}
	// New calls go to generation 2 while generation 1 is still busy.
	for i := 0; i < 3; i++ {
		out := h.Invoke("svc", `{"ms":1,"n":1}`)
		if out.FunctionError != nil || !strings.Contains(string(out.Payload), `"stream"`) {
			t.Fatalf("call during swap not served by generation 2: %s", out.Payload)
		}
	}
	out := <-busy
	if out == nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), `"requestId"`) {
		t.Fatalf("in-flight call failed across the swap: %+v", out)
	}
	h.WaitFor("generation 1 to retire", func() bool {
		return len(h.EventsOf(func(e telemetry.Event) bool {
			s, ok := e.(telemetry.EnvStopped)
			return ok && s.Generation == 1 && s.Reason == "swap"
		})) == 2
	})
	// Generation 1's processes or containers are gone; generation 2's one
	// environment remains.
	waitResources(t, h, "svc", func(n int) bool { return n == 1 }, "generation 1 resources to go")
	for _, f := range h.Finished("svc") {
		if f.Status != telemetry.StatusOK {
			t.Errorf("invocation %s on generation %d: %s", f.RequestID, f.Generation, f.Status)
		}
	}
	gens := map[int]int{}
	for _, e := range h.EventsOf(func(e telemetry.Event) bool { _, ok := e.(telemetry.InvocationStarted); return ok }) {
		s := e.(telemetry.InvocationStarted)
		if strings.Contains(string(s.Event), `"n":1`) {
			gens[s.Generation]++
		}
	}
	if gens[2] != 3 || gens[1] != 0 {
		t.Errorf("calls after the swap ran on generations %v, want all on 2", gens)
	}
	if len(h.EventsOf(func(e telemetry.Event) bool {
		s, ok := e.(telemetry.Swapped)
		return ok && s.OldGeneration == 1 && s.NewGeneration == 2
	})) != 1 {
		t.Error("no Swapped event")
	}
	// An older generation is refused.
	if err := h.S.Deploy(fn, h.Target.HandlerDir("echo"), 1); err == nil {
		t.Error("deploying generation 1 over 2 succeeded")
	}

	// Remove: in-flight calls finish, new ones get 404.
	go func() {
		out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("svc"), Payload: []byte(`{"ms":300,"remove":1}`)})
		if err != nil || out.FunctionError != nil {
			t.Errorf("in-flight call failed across Remove: %v", err)
		}
		busy <- out
	}()
	h.WaitFor("the slow call to start", func() bool {
		return len(h.EventsOf(func(e telemetry.Event) bool {
			s, ok := e.(telemetry.InvocationStarted)
			return ok && strings.Contains(string(s.Event), "remove")
		})) == 1
	})
	h.S.Remove("svc")
	_, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("svc")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("after Remove: %v", err)
	}
	<-busy
	waitResources(t, h, "svc", func(n int) bool { return n == 0 }, "removed function's resources to go")
}

// testSDK: a handler's AWS SDK reaches slsx through AWS_ENDPOINT_URL with
// the dummy credentials, and invokes another function.
func testSDK(t *testing.T, h *Harness) {
	h.Deploy("echo", "echo", 1, nil)
	h.Deploy("caller", "sdk", 1, nil)
	out := h.Invoke("caller", `{"target":"echo","payload":{"via":"sdk"}}`)
	if out.FunctionError != nil || string(out.Payload) != `{"via":"sdk"}` {
		t.Fatalf("caller: %s (%s)", out.Payload, aws.ToString(out.FunctionError))
	}
}

// testGracefulShutdown: a runtime that registered for SIGTERM gets it when
// its idle environment is reclaimed, and its last words are captured.
func testGracefulShutdown(t *testing.T, h *Harness) {
	h.Deploy("term", "sigterm", 1, nil)
	if out := h.Invoke("term", `{}`); string(out.Payload) != `"ok"` {
		t.Fatalf("payload %s", out.Payload)
	}
	h.WaitFor("the graceful shutdown line", func() bool {
		return len(h.EventsOf(func(e telemetry.Event) bool {
			l, ok := e.(telemetry.LogLine)
			return ok && strings.Contains(l.Line, "graceful shutdown")
		})) == 1
	})
	h.WaitFor("the environment to stop", func() bool {
		return len(h.EventsOf(func(e telemetry.Event) bool { s, ok := e.(telemetry.EnvStopped); return ok && s.Reason == "idle" })) == 1
	})
	waitResources(t, h, "term", func(n int) bool { return n == 0 }, "the stopped environment's resources to go")
}
