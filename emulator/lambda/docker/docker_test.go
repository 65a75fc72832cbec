package docker

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/slsx/slsx/emulator/lambda"
)

func TestContainerEnviron(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		alias string
		want  []string
	}{
		{name: "runtime api on loopback", in: []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001/env-1"}, alias: "host.docker.internal",
			want: []string{"AWS_LAMBDA_RUNTIME_API=host.docker.internal:9001/env-1", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "runtime api on bridge kept", in: []string{"AWS_LAMBDA_RUNTIME_API=172.17.0.1:9001/env-1"}, alias: "host.docker.internal",
			want: []string{"AWS_LAMBDA_RUNTIME_API=172.17.0.1:9001/env-1", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "localhost and ipv6 loopback", in: []string{"AWS_LAMBDA_RUNTIME_API=localhost:1", "AWS_ENDPOINT_URL=http://[::1]:4566"}, alias: "h",
			want: []string{"AWS_LAMBDA_RUNTIME_API=h:1", "AWS_ENDPOINT_URL=http://h:4566", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "unspecified address", in: []string{"AWS_ENDPOINT_URL=http://0.0.0.0:4566/"}, alias: "h",
			want: []string{"AWS_ENDPOINT_URL=http://h:4566/", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "service endpoint and https", in: []string{"AWS_ENDPOINT_URL_DYNAMODB=https://localhost:8000"}, alias: "h",
			want: []string{"AWS_ENDPOINT_URL_DYNAMODB=https://h:8000", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "remote endpoint kept", in: []string{"AWS_ENDPOINT_URL=https://dynamodb.us-east-1.amazonaws.com"}, alias: "h",
			want: []string{"AWS_ENDPOINT_URL=https://dynamodb.us-east-1.amazonaws.com", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "ipv6 alias", in: []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001/x"}, alias: "fd00::1",
			want: []string{"AWS_LAMBDA_RUNTIME_API=[fd00::1]:9001/x", "LAMBDA_TASK_ROOT=/var/task"}},
		{name: "task root and path", in: []string{"PATH=/home/me/bin:/usr/bin", "LAMBDA_TASK_ROOT=/home/me/.slsx/build/f/1", "TABLE=users", "garbage"}, alias: "h",
			want: []string{"PATH=" + containerPath, "LAMBDA_TASK_ROOT=/var/task", "TABLE=users"}},
		{name: "user variable named like an url is not touched", in: []string{"MY_URL=http://127.0.0.1:1"}, alias: "h",
			want: []string{"MY_URL=http://127.0.0.1:1", "LAMBDA_TASK_ROOT=/var/task"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ContainerEnviron(tc.in, tc.alias)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func FuzzContainerEnviron(f *testing.F) {
	f.Add("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001/env-1")
	f.Add("AWS_ENDPOINT_URL", "http://localhost:4566")
	f.Add("AWS_ENDPOINT_URL_SNS", "http://[::1]:1/%zz")
	f.Add("AWS_LAMBDA_RUNTIME_API", "[::1]")
	f.Fuzz(func(t *testing.T, k, v string) {
		if strings.ContainsRune(k, '=') {
			return
		}
		out := ContainerEnviron([]string{k + "=" + v}, "host.docker.internal")
		if len(out) == 0 || len(out) > 2 {
			t.Fatalf("%d variables from one", len(out))
		}
		for _, kv := range out {
			if !strings.Contains(kv, "=") {
				t.Fatalf("malformed %q", kv)
			}
		}
		// A rewritten value no longer names the loopback host.
		if k == "AWS_LAMBDA_RUNTIME_API" && out[0] != k+"="+v && strings.Contains(out[0], "127.0.0.1:") {
			t.Fatalf("still loopback: %q", out[0])
		}
	})
}

func TestExitError(t *testing.T) {
	tests := []struct {
		code   int64
		killed bool
		want   string
	}{
		{0, false, ""},
		{1, false, "exit status 1"},
		{3, false, "exit status 3"},
		{137, true, "signal: killed"},
		{143, true, "signal: killed"},
		{137, false, "signal: killed"},
		{143, false, "signal: terminated"},
		{139, false, "signal: segmentation fault"},
		{255, false, "exit status 255"},
	}
	for _, tc := range tests {
		err := exitError(tc.code, tc.killed)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("exitError(%d, %v) = %q, want %q", tc.code, tc.killed, got, tc.want)
		}
	}
}

func TestNanoCPUs(t *testing.T) {
	x := &Executor{alias: DefaultHostAlias}
	for mb, want := range map[int]int64{128: minNanoCPUs, 1769: 1e9, 3538: 2e9, 10240: int64(10240) * 1e9 / 1769} {
		_, hc := x.containerConfig(lambda.EnvSpec{MemoryMB: mb, Dir: "/x"}, "img", ioMounts{})
		if hc.NanoCPUs != want || hc.Memory != int64(mb)<<20 || hc.MemorySwap != hc.Memory {
			t.Errorf("%d MB: nano %d mem %d swap %d", mb, hc.NanoCPUs, hc.Memory, hc.MemorySwap)
		}
	}
}

func TestTagSafe(t *testing.T) {
	for in, want := range map[string]string{"v1.2.3": "v1.2.3", "dev": "dev", "v1.0.0+dirty": "v1.0.0_dirty", "": "dev", ".x": "_x", "-x": "_x"} {
		if got := tagSafe(in); got != want {
			t.Errorf("tagSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadBuildStream(t *testing.T) {
	tests := []struct{ in, err string }{
		{`{"stream":"Step 1/2 : FROM scratch\n"}{"stream":"Successfully built x\n"}`, ""},
		{`{"stream":"Step 1/2 : FROM scratch\n"}{"errorDetail":{"message":"COPY failed: no source files"},"error":"COPY failed: no source files"}`, "COPY failed: no source files (after: Step 1/2 : FROM scratch)"},
		{`{"stream":`, "read build output: unexpected EOF"},
	}
	for _, tc := range tests {
		err := readBuildStream(strings.NewReader(tc.in))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("readBuildStream(%q) = %q, want %q", tc.in, got, tc.err)
		}
	}
}

func TestUnavailable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := New(context.Background(), Options{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	for _, s := range []string{"DOCKER_HOST=unix:///nonexistent/docker.sock", "--runtime process"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if processAlive(pid) {
		t.Skip("pid reused already")
	}
	return pid
}

// TestCleanupLeftovers simulates slsx runs killed with SIGKILL: their
// containers (labelled with a dead pid) go at the next start; a live
// slsx's containers stay.
func TestCleanupLeftovers(t *testing.T) {
	x := newExecutor(t)
	ctx := context.Background()
	img, err := x.images.resolve(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	dead := strconv.Itoa(deadPID(t))
	mk := func(labels map[string]string) string {
		labels[LabelManaged] = "true"
		labels["slsx.test"] = x.Instance()
		c, err := x.cli.ContainerCreate(ctx, &container.Config{Image: img, Entrypoint: []string{"/var/task/bootstrap"}, Labels: labels}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = x.cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) })
		return c.ID
	}
	killed1 := mk(map[string]string{LabelInstance: "killed", LabelPID: dead, LabelHost: host})
	killed2 := mk(map[string]string{LabelInstance: "killed", LabelPID: dead, LabelHost: host})
	live := mk(map[string]string{LabelInstance: "other-live", LabelPID: strconv.Itoa(os.Getpid()), LabelHost: host})
	otherHost := mk(map[string]string{LabelInstance: "remote", LabelPID: dead, LabelHost: host + "-elsewhere"})
	mine := mk(map[string]string{LabelInstance: "restarted", LabelPID: strconv.Itoa(os.Getpid()), LabelHost: host})

	if err := x.Cleanup(ctx, "restarted"); err != nil {
		t.Fatal(err)
	}
	list, err := x.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "slsx.test="+x.Instance()))})
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, c := range list {
		left[c.ID] = true
	}
	for id, want := range map[string]bool{killed1: false, killed2: false, live: true, otherHost: true, mine: false} {
		if left[id] != want {
			t.Errorf("container %.12s (%s) present=%v, want %v", id, func() string {
				for _, c := range list {
					if c.ID == id {
						return c.Labels[LabelInstance]
					}
				}
				return "removed"
			}(), left[id], want)
		}
	}
}

// TestInterrupt: after Interrupt (the first Ctrl-C) no container is
// created or started any more; Start fails at once.
func TestInterrupt(t *testing.T) {
	x := newExecutor(t)
	x.Interrupt()
	_, err := x.Start(context.Background(), lambda.EnvSpec{Function: "f", EnvID: "env-1", Generation: 1, Dir: handlerDir("echo"), MemoryMB: 128})
	if err == nil || !strings.Contains(err.Error(), "start container for f: slsx is shutting down") {
		t.Fatalf("Start after Interrupt: %v", err)
	}
	list, err := x.Client().ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelInstance+"="+x.Instance()))})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("%d containers after an interrupted Start", len(list))
	}
}
