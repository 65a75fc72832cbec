//go:build unix

package lambda_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
	"github.com/slsx/slsx/emulator/telemetry"
)

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func TestAsync(t *testing.T) {
	h := lambdatest.New(t, processTarget, lambda.Options{AsyncRetryBackoff: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}})
	h.Deploy("echo", "echo", 1, nil)
	h.Deploy("one", "concurrency", 1, func(f *config.Function) { f.Concurrency = 1 })

	// A failing event is retried twice with the same request id.
	out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"error":"nope"}`)})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("event invoke: %v %+v", err, out)
	}
	h.WaitFor("three attempts", func() bool { return len(h.Finished("echo")) == 3 })
	fins := h.Finished("echo")
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
		if _, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("one"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"ms":100}`)}); err != nil {
			t.Fatal(err)
		}
	}
	h.WaitFor("four queued events to run", func() bool { return len(h.Finished("one")) == 4 })
	for _, f := range h.Finished("one") {
		if f.Status != telemetry.StatusOK {
			t.Errorf("queued event: %+v", f)
		}
	}
	queued := h.EventsOf(func(e telemetry.Event) bool { th, ok := e.(telemetry.Throttled); return ok && th.Async })
	if len(queued) < 1 {
		t.Error("no async Throttled (queued) event")
	}
	if len(h.EventsOf(func(e telemetry.Event) bool { s, ok := e.(telemetry.EnvStarted); return ok && s.Function == "one" })) != 1 {
		t.Error("concurrency 1 started more than one environment")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	h := lambdatest.New(t, processTarget, lambda.Options{})
	h.Deploy("slow", "concurrency", 1, nil)
	h.Deploy("sleep", "sleep", 1, func(f *config.Function) { f.Timeout = time.Minute })
	h.Deploy("spawner", "spawner", 1, nil)
	res, errs := lambdatest.Burst(h, "slow", 3, `{"ms":50}`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	pids := make([]int, 0, len(res)+2)
	for _, r := range res {
		pids = append(pids, r.Pid)
	}
	// A grandchild of slsx, in the environment's process group.
	grandchild, err := strconv.Atoi(string(h.Invoke("spawner", `{}`).Payload))
	if err != nil || !alive(grandchild) {
		t.Fatalf("spawner: %v", err)
	}
	pids = append(pids, grandchild)
	// One more in the middle of an invocation that will never end.
	go func() {
		_, _ = h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("sleep")})
	}()
	var sleepPids []int
	h.WaitFor("sleep to run", func() bool {
		started := h.EventsOf(func(e telemetry.Event) bool {
			s, ok := e.(telemetry.InvocationStarted)
			return ok && s.Function == "sleep"
		})
		sleepPids = environmentPids(t, h, "sleep")
		return len(started) == 1 && len(sleepPids) == 1
	})
	pids = append(pids, sleepPids...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.S.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still running after Close", pid)
		}
	}
	if _, err := h.S.Invoke(context.Background(), lambda.Request{Function: "slow"}); err == nil {
		t.Error("invoke after Close succeeded")
	}
}

func TestFlood(t *testing.T) {
	h := lambdatest.New(t, processTarget, lambda.Options{MaxLogBytes: 64 << 10})
	h.Deploy("flood", "flood", 1, func(f *config.Function) { f.Timeout = 60 * time.Second })
	out, err := h.Client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("flood"), Payload: []byte(`{"mb":100}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Payload) != `"done"` || out.FunctionError != nil {
		t.Fatalf("payload %q", out.Payload)
	}
	var fin telemetry.InvocationFinished
	h.WaitFor("finished", func() bool {
		f := h.Finished("flood")
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
	if out := h.Invoke("flood", `{"mb":1}`); out.FunctionError != nil {
		t.Fatalf("second call: %s", out.Payload)
	}
	if c := lambdatest.CountCold(h, "flood"); c != 1 {
		t.Errorf("%d cold starts, want 1", c)
	}
}
