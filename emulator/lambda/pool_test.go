package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

type served struct {
	Pid    int    `json:"pid"`
	Stream string `json:"stream"`
}

// burst runs n concurrent invocations of fn; it returns the successful
// results and the errors.
func burst(h *harness, fn string, n int, payload string) ([]served, []error) {
	var mu sync.Mutex
	var res []served
	var errs []error
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			var s served
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

func countCold(h *harness, fn string) int {
	n := 0
	for _, f := range h.finished(fn) {
		if f.Cold {
			n++
		}
	}
	return n
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := readFile("/proc/" + itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func TestAsync(t *testing.T) {
	h := newHarness(t, Options{AsyncRetryBackoff: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}})
	h.deploy("echo", "echo", nil)
	h.deploy("one", "concurrency", func(f *config.Function) { f.Concurrency = 1 })

	// A failing event is retried twice with the same request id.
	out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"error":"nope"}`)})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("event invoke: %v %+v", err, out)
	}
	h.waitFor("three attempts", func() bool { return len(h.finished("echo")) == 3 })
	fins := h.finished("echo")
	for _, f := range fins {
		if f.RequestID != fins[0].RequestID || !f.Async || f.Status != telemetry.StatusError {
			t.Errorf("attempt %+v", f)
		}
	}
	gap := fins[2].Time.Sub(fins[1].Time)
	if gap < 40*time.Millisecond {
		t.Errorf("second retry came %v after the first, want the 40ms backoff", gap)
	}

	// Events over the concurrency limit wait in the queue: none fails.
	for i := 0; i < 4; i++ {
		if _, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("one"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"ms":100}`)}); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("four queued events to run", func() bool { return len(h.finished("one")) == 4 })
	for _, f := range h.finished("one") {
		if f.Status != telemetry.StatusOK {
			t.Errorf("queued event: %+v", f)
		}
	}
	queued := h.eventsOf(func(e telemetry.Event) bool { th, ok := e.(telemetry.Throttled); return ok && th.Async })
	if len(queued) < 1 {
		t.Error("no async Throttled (queued) event")
	}
	if len(h.eventsOf(func(e telemetry.Event) bool { s, ok := e.(telemetry.EnvStarted); return ok && s.Function == "one" })) != 1 {
		t.Error("concurrency 1 started more than one environment")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	h := newHarness(t, Options{})
	h.deploy("slow", "concurrency", nil)
	h.deploy("sleep", "sleep", func(f *config.Function) { f.Timeout = time.Minute })
	h.deploy("spawner", "spawner", nil)
	res, errs := burst(h, "slow", 3, `{"ms":50}`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// A grandchild of slsx, in the environment's process group.
	grandchild, err := strconv.Atoi(string(h.invoke("spawner", `{}`).Payload))
	if err != nil || !alive(grandchild) {
		t.Fatalf("spawner: %v", err)
	}
	res = append(res, served{Pid: grandchild})
	// One more in the middle of an invocation that will never end.
	go func() {
		_, _ = h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("sleep")})
	}()
	var sleepPid int
	h.waitFor("sleep to run", func() bool {
		for _, e := range h.eventsOf(func(e telemetry.Event) bool {
			s, ok := e.(telemetry.InvocationStarted)
			return ok && s.Function == "sleep"
		}) {
			_ = e
			sleepPid = pidOfEnv(h, "sleep")
			return sleepPid > 0
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(res, served{Pid: sleepPid}) {
		if alive(r.Pid) {
			t.Errorf("process %d still running after Close", r.Pid)
		}
	}
	if _, err := h.s.Invoke(context.Background(), Request{Function: "slow"}); err == nil {
		t.Error("invoke after Close succeeded")
	}
}

// pidOfEnv finds the pid of a running environment of fn through /proc.
func pidOfEnv(h *harness, fn string) int {
	h.s.envMu.RLock()
	defer h.s.envMu.RUnlock()
	for _, e := range h.s.envs {
		if e.p.name == fn && e.h != nil {
			if p, ok := e.h.(*procEnv); ok {
				return p.pid
			}
		}
	}
	return 0
}

func TestFlood(t *testing.T) {
	h := newHarness(t, Options{MaxLogBytes: 64 << 10})
	h.deploy("flood", "flood", func(f *config.Function) { f.Timeout = 60 * time.Second })
	out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("flood"), Payload: []byte(`{"mb":100}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Payload) != `"done"` || out.FunctionError != nil {
		t.Fatalf("payload %q", out.Payload)
	}
	var fin telemetry.InvocationFinished
	h.waitFor("finished", func() bool {
		f := h.finished("flood")
		if len(f) == 1 {
			fin = f[0]
		}
		return len(f) == 1
	})
	size := 0
	for _, l := range fin.Logs {
		size += len(l) + 1
	}
	if size > 70<<10 {
		t.Errorf("kept %d bytes of log, limit 64 KiB", size)
	}
	joined := strings.Join(fin.Logs, "\n")
	if !strings.Contains(joined, "bytes of log output dropped") || !strings.HasPrefix(fin.Logs[len(fin.Logs)-1], "REPORT") {
		t.Errorf("no drop marker or REPORT last: %q", fin.Logs[len(fin.Logs)-3:])
	}
	// The environment survives and stays warm.
	if out := h.invoke("flood", `{"mb":1}`); out.FunctionError != nil {
		t.Fatalf("second call: %s", out.Payload)
	}
	if c := countCold(h, "flood"); c != 1 {
		t.Errorf("%d cold starts, want 1", c)
	}
}
