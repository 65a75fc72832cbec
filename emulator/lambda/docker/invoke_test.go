package docker

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
)

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
	mounts := map[string]container.MountPoint{}
	for _, m := range ins.Mounts {
		mounts[m.Destination] = m
	}
	task, shim, pipe := mounts["/var/task"], mounts[shimTarget], mounts[pipeTarget]
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
		{"entrypoint", strings.Join(cfg.Entrypoint, " "), shimTarget + " /var/task/bootstrap"},
		{"image", cfg.Image, RuntimeImage()},
		{"label managed", cfg.Labels[LabelManaged], "true"},
		{"label instance", cfg.Labels[LabelInstance], h.x.Instance()},
		{"label function", cfg.Labels[LabelFunction], "info"},
		{"label generation", cfg.Labels["slsx.generation"], "3"},
		{"mount count", len(ins.Mounts), 3},
		{"task source", task.Source, handlerDir("echo")},
		{"task read-only", task.RW, false},
		{"shim source", shim.Source, h.x.pipes.shim},
		{"shim read-only", shim.RW, false},
		{"pipe in this run's directory", filepath.Dir(pipe.Source), h.x.pipes.dir},
		{"pipe writable", pipe.RW, true},
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
