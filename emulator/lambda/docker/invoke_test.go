package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/docker/docker/api/types/image"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

func TestInvokeEcho(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	h.deploy("echo", "echo", 1, nil)
	tests := []struct {
		name      string
		payload   string
		want      string
		fnErr     string
		wantInLog []string
	}{
		{name: "object", payload: `{"a":1,"b":[true,null]}`, want: `{"a":1,"b":[true,null]}`},
		{name: "string", payload: `"hi"`, want: `"hi"`},
		{name: "function error", payload: `{"error":"boom"}`, want: `{"errorMessage":"boom","errorType":"errorString"}`, fnErr: "Unhandled"},
		{name: "log tail", payload: `{"log":["hello from the container","second line"]}`,
			wantInLog: []string{"START RequestId: ", "hello from the container\nsecond line\n", "END RequestId: ", "\tMemory Size: 128 MB\tMax Memory Used: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{
				FunctionName: aws.String("echo"), Payload: []byte(tc.payload), LogType: types.LogTypeTail,
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && string(out.Payload) != tc.want {
				t.Errorf("payload %q, want %q", out.Payload, tc.want)
			}
			if aws.ToString(out.FunctionError) != tc.fnErr {
				t.Errorf("function error %q, want %q", aws.ToString(out.FunctionError), tc.fnErr)
			}
			logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
			for _, s := range tc.wantInLog {
				if !strings.Contains(string(logs), s) {
					t.Errorf("log tail lacks %q:\n%s", s, logs)
				}
			}
		})
	}
	// One container served every call (warm starts).
	if n := len(h.containers(LabelFunction + "=echo")); n != 1 {
		t.Errorf("%d containers for echo, want 1", n)
	}
	// Every log line reached the invocation it belongs to.
	waitFor(t, "finished events", func() bool { return len(h.finished("echo")) == len(tests) })
	logged := 0
	for _, f := range h.finished("echo") {
		all := strings.Join(f.Logs, "\n")
		if strings.Contains(all, "hello from the container") {
			logged++
			if !strings.Contains(all, "hello from the container\nsecond line\nEND RequestId: "+f.RequestID) {
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

// TestContainerSandbox checks the environment a handler sees and the
// container's limits.
func TestContainerSandbox(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	h.deploy("info", "echo", 3, func(f *config.Function) { f.MemoryMB = 256; f.Environment = map[string]string{"TABLE": "users"} })
	out := h.invoke("info", `{"info":true}`)
	var got struct {
		Env map[string]string
		Cwd string
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	if got.Cwd != "/var/task" {
		t.Errorf("cwd %q", got.Cwd)
	}
	port := h.edge[strings.LastIndexByte(h.edge, ':')+1:]
	for k, want := range map[string]string{
		"LAMBDA_TASK_ROOT":                "/var/task",
		"AWS_ENDPOINT_URL":                "http://host.docker.internal:" + port,
		"TABLE":                           "users",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"PATH":                            containerPath,
	} {
		if got.Env[k] != want {
			t.Errorf("%s=%q, want %q", k, got.Env[k], want)
		}
	}
	if api := got.Env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, h.x.HostIP()+":") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API=%q", api)
	}

	list := h.containers(LabelFunction + "=info")
	if len(list) != 1 {
		t.Fatalf("%d containers", len(list))
	}
	ins, err := h.x.Client().ContainerInspect(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg := ins.HostConfig, ins.Config
	checks := []struct {
		what      string
		got, want any
	}{
		{"memory", hc.Memory, int64(256 << 20)},
		{"memory+swap", hc.MemorySwap, int64(256 << 20)},
		{"nano cpus", hc.NanoCPUs, int64(minNanoCPUs)}, // 256 MB is 0.145 vCPU, under the floor
		{"read-only rootfs", hc.ReadonlyRootfs, true},
		{"auto remove", hc.AutoRemove, false},
		{"tmpfs", hc.Tmpfs["/tmp"], "rw,nosuid,nodev,size=512m,mode=1777"},
		{"extra hosts", strings.Join(hc.ExtraHosts, ","), "host.docker.internal:host-gateway"},
		{"user", cfg.User, "993:990"},
		{"workdir", cfg.WorkingDir, "/var/task"},
		{"entrypoint", strings.Join(cfg.Entrypoint, " "), "/var/task/bootstrap"},
		{"image", cfg.Image, RuntimeImage()},
		{"label managed", cfg.Labels[LabelManaged], "true"},
		{"label instance", cfg.Labels[LabelInstance], h.x.Instance()},
		{"label function", cfg.Labels[LabelFunction], "info"},
		{"label generation", cfg.Labels["slsx.generation"], "3"},
		{"mount count", len(ins.Mounts), 1},
		{"mount target", ins.Mounts[0].Destination, "/var/task"},
		{"mount source", ins.Mounts[0].Source, handlerDir("echo")},
		{"mount read-only", ins.Mounts[0].RW, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if cfg.Labels[LabelEnv] == "" {
		t.Error("no env label")
	}
}

func TestFunctionFailures(t *testing.T) {
	h := newHarness(t, lambda.Options{InitTimeout: 3 * time.Second})
	h.deploy("panic", "panic", 1, nil)
	h.deploy("exit", "exit", 1, nil)
	h.deploy("sleep", "sleep", 1, func(f *config.Function) { f.Timeout = time.Second })
	h.deploy("initfail", "initfail", 1, nil)
	h.deploy("initerror", "initerror", 1, nil)
	h.deploy("missing", "does-not-exist", 1, nil)
	id := `[0-9a-f-]{36}`
	tests := []struct {
		fn      string
		body    string // regexp over the payload
		errType string
		status  string
		logHas  string
	}{
		{fn: "panic", body: `^\{"errorMessage":"boom","errorType":"string","stackTrace":\[`, errType: "string", status: telemetry.StatusError},
		{fn: "exit", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"\}$`,
			errType: "Runtime.ExitError", status: telemetry.StatusCrash, logHas: "about to exit"},
		{fn: "sleep", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"\}$`,
			errType: "Sandbox.Timedout", status: telemetry.StatusTimeout, logHas: "sleeping"},
		{fn: "initfail", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: Runtime exited with error: exit status 1","errorType":"Runtime.ExitError"\}$`,
			errType: "Runtime.ExitError", status: telemetry.StatusCrash, logHas: "init failed: DATABASE_URL is not set"},
		{fn: "initerror", body: `^\{"errorMessage":"cannot load config","errorType":"Runtime.ConfigError"\}$`, errType: "Runtime.ConfigError", status: telemetry.StatusError},
		{fn: "missing", body: `^\{"errorMessage":"RequestId: ` + id + ` Error: create container for missing: .*does-not-exist.*","errorType":"Runtime.InvalidEntrypoint"\}$`,
			errType: "Runtime.InvalidEntrypoint", status: telemetry.StatusCrash},
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			// Twice: the failure resets the environment, so the second call
			// is a fresh container that fails the same way.
			for i := 0; i < 2; i++ {
				out := h.invoke(tc.fn, `{}`)
				if aws.ToString(out.FunctionError) != "Unhandled" {
					t.Fatalf("function error %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
				}
				if !regexp.MustCompile(tc.body).Match(out.Payload) {
					t.Fatalf("payload %s\ndoes not match %s", out.Payload, tc.body)
				}
			}
			var fins []telemetry.InvocationFinished
			waitFor(t, "two finished events", func() bool { fins = h.finished(tc.fn); return len(fins) == 2 })
			for _, f := range fins {
				if f.Status != tc.status || f.ErrorType != tc.errType || !f.Cold {
					t.Errorf("finished: status %q type %q cold %v", f.Status, f.ErrorType, f.Cold)
				}
				if tc.logHas != "" && !strings.Contains(strings.Join(f.Logs, "\n"), tc.logHas) {
					t.Errorf("logs lack %q: %q", tc.logHas, f.Logs)
				}
			}
			// Failed environments' containers are removed.
			waitFor(t, "failed containers to be removed", func() bool { return len(h.containers(LabelFunction+"="+tc.fn)) == 0 })
		})
	}
}

func TestConcurrency(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	h.deploy("conc", "concurrency", 1, nil)
	const n = 4
	streams := make(chan string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := h.invoke("conc", `{"ms":400}`)
			var r struct{ Stream string }
			if err := json.Unmarshal(out.Payload, &r); err != nil || out.FunctionError != nil {
				t.Errorf("%v: %s", err, out.Payload)
			}
			streams <- r.Stream
		}()
	}
	wg.Wait()
	close(streams)
	seen := map[string]bool{}
	for s := range streams {
		seen[s] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct environments served %d overlapping calls", len(seen), n)
	}
	if got := len(h.containers(LabelFunction + "=conc")); got != n {
		t.Errorf("%d containers, want %d", got, n)
	}
	started := h.eventsOf(func(e telemetry.Event) bool { s, ok := e.(telemetry.EnvStarted); return ok && s.Executor == "docker" })
	if len(started) != n {
		t.Errorf("%d EnvStarted(docker) events, want %d", len(started), n)
	}
}

// TestSDKFromContainer: a handler's SDK call leaves the container through
// the host alias and reaches the edge.
func TestSDKFromContainer(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	h.deploy("echo", "echo", 1, nil)
	h.deploy("caller", "sdk", 1, nil)
	out := h.invoke("caller", `{"target":"echo","payload":{"via":"sdk"}}`)
	if out.FunctionError != nil || string(out.Payload) != `{"via":"sdk"}` {
		t.Fatalf("payload %s (%s)", out.Payload, aws.ToString(out.FunctionError))
	}
}

func TestHotSwap(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	fn := h.deploy("svc", "echo", 1, nil)
	if out := h.invoke("svc", `{"v":1}`); string(out.Payload) != `{"v":1}` {
		t.Fatalf("generation 1: %s", out.Payload)
	}
	busy := make(chan *lambdasdk.InvokeOutput, 1)
	go func() {
		out, err := h.client.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("svc"), Payload: []byte(`{"sleepMs":600}`)})
		if err != nil {
			t.Error(err)
		}
		busy <- out
	}()
	waitFor(t, "the slow call to start", func() bool {
		return len(h.eventsOf(func(e telemetry.Event) bool {
			s, ok := e.(telemetry.InvocationStarted)
			return ok && strings.Contains(string(s.Event), "sleepMs")
		})) == 1
	})
	// Generation 2 is other code: the concurrency handler.
	if err := h.s.Deploy(fn, handlerDir("concurrency"), 2); err != nil {
		t.Fatal(err)
	}
	out := h.invoke("svc", `{"ms":1}`)
	if !strings.Contains(string(out.Payload), `"stream"`) {
		t.Fatalf("generation 2 did not serve: %s", out.Payload)
	}
	if out := <-busy; out == nil || out.FunctionError != nil {
		t.Fatal("in-flight call failed across the swap")
	}
	waitFor(t, "generation 1 containers to be removed", func() bool { return len(h.containers(LabelFunction+"=svc", "slsx.generation=1")) == 0 })
	if n := len(h.containers(LabelFunction+"=svc", "slsx.generation=2")); n != 1 {
		t.Errorf("%d generation 2 containers, want 1", n)
	}
}

// TestImageRemovedMidRun: the runtime image disappearing under slsx costs
// a rebuild, not a failed invocation.
func TestImageRemovedMidRun(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	fn := h.deploy("echo", "echo", 1, nil)
	h.invoke("echo", `1`)
	h.s.Remove("echo")
	waitFor(t, "containers to go", func() bool { return len(h.containers()) == 0 })
	if _, err := h.x.Client().ImageRemove(context.Background(), RuntimeImage(), image.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Deploy(fn, handlerDir("echo"), 2); err != nil {
		t.Fatal(err)
	}
	if out := h.invoke("echo", `2`); out.FunctionError != nil || string(out.Payload) != "2" {
		t.Fatalf("after image removal: %s", out.Payload)
	}
}

func TestCloseRemovesContainers(t *testing.T) {
	h := newHarness(t, lambda.Options{})
	h.deploy("echo", "echo", 1, nil)
	h.invoke("echo", `1`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Service.Close waits until every environment is gone; the executor
	// removes exited containers in the background, and Close reaps the rest.
	if err := h.x.Cleanup(ctx, h.x.Instance()); err != nil {
		t.Fatal(err)
	}
	if n := len(h.containers()); n != 0 {
		t.Errorf("%d containers left after close", n)
	}
}
